-- The one-day floor: the rows one day of settlement-sweep + deadline-watch must change, in bare
-- SQL on the generated data, with no mail, audit or job record: each region's batch of the
-- payables confirmed by :day and in no batch, its items, those payables moved into it, and the
-- payables newly past due marked overdue. The harness runs it inside a transaction that it
-- rolls back, so the jobs still find their day's work. :day is the jobs' as-of date (a quoted
-- literal); the harness removes the lines marked stage-variant to time batching as the code
-- does it (only `batch_id`: in no index, so the update may be HOT, with no index entries), and
-- the lines marked HOT-variant to time it as it was before migration 000015 (setting the stage
-- `in_batch` too: indexed, so every index gets an entry a payable).
-- JIT is off, as in the jobs' transactions (db::without_jit): the planner expects hundreds of
-- thousands of rows newly past due for a day's hundreds, and would compile the update for 0.2 s.
SET LOCAL jit = off;
CREATE TEMP TABLE floor_batchable ON COMMIT DROP AS
SELECT p.id, p.region_id, p.amount - p.disputed_amount - p.credited_amount - p.paid_amount AS owed
  FROM regions r
  JOIN payables p ON p.region_id = r.id
 WHERE p.stage IN ('confirmed', 'disputed') AND p.batch_id IS NULL AND p.confirmed_on <= DATE :day
   AND p.amount - p.disputed_amount - p.credited_amount - p.paid_amount > 0;
INSERT INTO payment_batches (id, batch_no, region_id, status, proposed_on, total_amount, item_count, created_at)
SELECT 'floor-' || region_id, 'PB-FLOOR-' || region_id, region_id, 'proposed', DATE :day, sum(owed), count(*), now()
  FROM floor_batchable GROUP BY region_id;
INSERT INTO payment_batch_items (batch_id, payable_id, amount)
SELECT 'floor-' || region_id, id, owed FROM floor_batchable;
UPDATE payables SET stage = 'in_batch', batch_id = 'floor-' || f.region_id -- stage-variant
UPDATE payables SET batch_id = 'floor-' || f.region_id -- HOT-variant
  FROM floor_batchable f WHERE payables.id = f.id;
UPDATE payables
   SET overdue_since = due_date + 1,
       supplier_delay_days = CASE WHEN stage = 'awaiting_invoice' THEN DATE :day - due_date - 1 ELSE supplier_delay_days END,
       hospital_delay_days = CASE WHEN stage = 'awaiting_hospital_confirmation' THEN DATE :day - due_date - 1 ELSE hospital_delay_days END,
       fund_delay_days = CASE WHEN stage IN ('confirmed', 'disputed', 'in_batch', 'approved') THEN DATE :day - due_date - 1 ELSE fund_delay_days END
 WHERE region_id IN (SELECT id FROM regions)
   AND stage IN ('awaiting_invoice', 'awaiting_hospital_confirmation', 'confirmed', 'disputed', 'in_batch', 'approved')
   AND due_date < DATE :day AND overdue_since IS NULL;
