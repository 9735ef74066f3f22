-- Joining a payment batch no longer rewrites a payable's stage: a confirmed (or disputed)
-- payable with a batch_id is "in_batch" (settlement::stage::of). The stage is in seven of the
-- payables' indexes and batch_id in none, so the daily sweep's move of a day's confirmations into
-- a batch becomes a heap-only update, with no index entries. Rows stored as in_batch go back to
-- the stage they had: disputed while a dispute is open, confirmed otherwise.
UPDATE payables
   SET stage = CASE WHEN disputed_amount > 0 THEN 'disputed' ELSE 'confirmed' END
 WHERE stage = 'in_batch';
