-- A resolved dispute: the hospital withdraws it (the part is paid later, a second payment) or
-- the supplier credits it (the payable shrinks by the credited amount).
ALTER TABLE payables ADD COLUMN credited_amount BIGINT NOT NULL DEFAULT 0;
ALTER TABLE payables ADD COLUMN dispute_resolved_on DATE;
ALTER TABLE payables ADD COLUMN dispute_resolution TEXT;
ALTER TABLE payments DROP CONSTRAINT payments_payable_id_key;
CREATE INDEX payments_payable ON payments (payable_id);
