-- A resolved dispute: the hospital withdraws it (the part is paid later, a second payment) or
-- the supplier credits it (the payable shrinks by the credited amount).
ALTER TABLE payables ADD COLUMN credited_amount BIGINT NOT NULL DEFAULT 0;
ALTER TABLE payables ADD COLUMN dispute_resolved_on DATE;
ALTER TABLE payables ADD COLUMN dispute_resolution TEXT;
-- SQLite cannot drop a column constraint: rebuild payments without UNIQUE (payable_id).
CREATE TABLE payments_new (
    id TEXT PRIMARY KEY,
    bank_reference TEXT NOT NULL UNIQUE,
    payable_id TEXT NOT NULL REFERENCES payables (id),
    batch_id TEXT NOT NULL REFERENCES payment_batches (id),
    region_id TEXT NOT NULL REFERENCES regions (id),
    payee_id TEXT NOT NULL REFERENCES organizations (id),
    amount BIGINT NOT NULL CHECK (amount > 0),
    paid_on DATE NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES users (id),
    recorded_at TIMESTAMP NOT NULL
);
INSERT INTO payments_new SELECT * FROM payments;
DROP TABLE payments;
ALTER TABLE payments_new RENAME TO payments;
CREATE INDEX payments_payable ON payments (payable_id);
