-- The read floor: the one query any implementation of the payment-status page must run (a
-- distributor's 50 payables of one status by due date, no count, no names), statuses rotated
-- as in the harness (a confirmed payable is one in no batch: settlement::stage::of). :today is
-- the server's date.
\set d random(1, :ndist)
\set s random(1, 6)
\if :s = 6
SELECT * FROM payables
 WHERE supplier_id = (SELECT id FROM floor_dist WHERE n = :d)
   AND stage IN ('awaiting_invoice', 'awaiting_hospital_confirmation', 'confirmed', 'disputed', 'in_batch', 'approved')
   AND due_date < :today::date
 ORDER BY due_date, id LIMIT 50;
\elif :s = 5
SELECT * FROM payables
 WHERE supplier_id = (SELECT id FROM floor_dist WHERE n = :d) AND stage = 'paid'
 ORDER BY due_date, id LIMIT 50;
\else
SELECT * FROM payables
 WHERE supplier_id = (SELECT id FROM floor_dist WHERE n = :d)
   AND stage = (ARRAY['awaiting_invoice', 'awaiting_hospital_confirmation', 'confirmed', 'approved'])[:s]
   AND (:s <> 3 OR batch_id IS NULL)
   AND due_date >= :today::date
 ORDER BY due_date, id LIMIT 50;
\endif
