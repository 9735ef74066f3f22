CREATE TABLE payments_old (
    id TEXT PRIMARY KEY,
    bank_reference TEXT NOT NULL UNIQUE,
    payable_id TEXT NOT NULL UNIQUE REFERENCES payables (id),
    batch_id TEXT NOT NULL REFERENCES payment_batches (id),
    region_id TEXT NOT NULL REFERENCES regions (id),
    payee_id TEXT NOT NULL REFERENCES organizations (id),
    amount BIGINT NOT NULL CHECK (amount > 0),
    paid_on DATE NOT NULL,
    recorded_by TEXT NOT NULL REFERENCES users (id),
    recorded_at TIMESTAMP NOT NULL
);
INSERT INTO payments_old SELECT * FROM payments;
DROP TABLE payments;
ALTER TABLE payments_old RENAME TO payments;
ALTER TABLE payables DROP COLUMN dispute_resolution;
ALTER TABLE payables DROP COLUMN dispute_resolved_on;
ALTER TABLE payables DROP COLUMN credited_amount;
