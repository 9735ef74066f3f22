DROP INDEX payments_payable;
ALTER TABLE payments ADD CONSTRAINT payments_payable_id_key UNIQUE (payable_id);
ALTER TABLE payables DROP COLUMN dispute_resolution;
ALTER TABLE payables DROP COLUMN dispute_resolved_on;
ALTER TABLE payables DROP COLUMN credited_amount;
