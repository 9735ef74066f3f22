-- Working-day calendar kept by the bureau: overrides of the Monday-Friday week
-- (法定节假日 on weekdays, 调休 working weekends).
CREATE TABLE calendar_days (
    region_id TEXT NOT NULL REFERENCES regions (id),
    day DATE NOT NULL,
    is_working BOOLEAN NOT NULL,
    name TEXT NOT NULL,
    created_by TEXT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (region_id, day)
);

-- The payable's lifecycle. `stage` is where it stands; dates record when each step happened
-- (the overdue days are attributed from them).
ALTER TABLE payables ADD COLUMN stage TEXT NOT NULL DEFAULT 'awaiting_invoice';
ALTER TABLE payables ADD COLUMN invoiced_on DATE;
ALTER TABLE payables ADD COLUMN confirm_deadline DATE;
ALTER TABLE payables ADD COLUMN confirmed_on DATE;
ALTER TABLE payables ADD COLUMN confirmation TEXT;
ALTER TABLE payables ADD COLUMN disputed_amount BIGINT NOT NULL DEFAULT 0;
ALTER TABLE payables ADD COLUMN dispute_reason TEXT;
ALTER TABLE payables ADD COLUMN paid_amount BIGINT NOT NULL DEFAULT 0;
ALTER TABLE payables ADD COLUMN paid_on DATE;
ALTER TABLE payables ADD COLUMN bank_reference TEXT;
ALTER TABLE payables ADD COLUMN batch_id TEXT;
ALTER TABLE payables ADD COLUMN overdue_since DATE;
ALTER TABLE payables ADD COLUMN supplier_delay_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE payables ADD COLUMN hospital_delay_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE payables ADD COLUMN fund_delay_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE payables ADD COLUMN interest BIGINT NOT NULL DEFAULT 0;
ALTER TABLE payables ADD COLUMN interest_policy_id TEXT;
ALTER TABLE payables ADD COLUMN confirmation_policy_id TEXT;
UPDATE payables SET stage = CASE WHEN amount = 0 THEN 'nothing_due' ELSE 'awaiting_invoice' END;
-- `stage` replaces the foundation's single-valued `status`.
ALTER TABLE payables DROP COLUMN status;
CREATE INDEX payables_stage ON payables (region_id, stage);

CREATE TABLE invoices (
    id TEXT PRIMARY KEY,
    payable_id TEXT NOT NULL REFERENCES payables (id),
    supplier_id TEXT NOT NULL REFERENCES organizations (id),
    invoice_no TEXT NOT NULL,
    invoice_date DATE NOT NULL,
    amount BIGINT NOT NULL CHECK (amount > 0),
    tax_amount BIGINT NOT NULL CHECK (tax_amount >= 0),
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (supplier_id, invoice_no)
);
CREATE INDEX invoices_payable ON invoices (payable_id);

-- Maker-checker payment batches: proposed (by the scheduler) -> prepared (maker) -> approved
-- (checker, another fund officer) -> executed (every payment recorded).
CREATE TABLE payment_batches (
    id TEXT PRIMARY KEY,
    batch_no TEXT NOT NULL UNIQUE,
    region_id TEXT NOT NULL REFERENCES regions (id),
    status TEXT NOT NULL CHECK (status IN ('proposed', 'prepared', 'approved', 'executed', 'cancelled')),
    proposed_on DATE,
    total_amount BIGINT NOT NULL CHECK (total_amount >= 0),
    item_count INTEGER NOT NULL,
    prepared_by TEXT REFERENCES users (id),
    prepared_at TIMESTAMP,
    approved_by TEXT REFERENCES users (id),
    approved_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    CHECK (approved_by IS NULL OR prepared_by IS NULL OR approved_by <> prepared_by),
    UNIQUE (region_id, proposed_on)
);

CREATE TABLE payment_batch_items (
    batch_id TEXT NOT NULL REFERENCES payment_batches (id),
    payable_id TEXT NOT NULL REFERENCES payables (id),
    amount BIGINT NOT NULL CHECK (amount > 0),
    PRIMARY KEY (batch_id, payable_id)
);
CREATE INDEX payment_batch_items_payable ON payment_batch_items (payable_id);

-- One row per bank transfer; the bank reference is the idempotency key of execution.
CREATE TABLE payments (
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

-- The fund's double-entry journal, per pooling region. Entries are immutable; a correction is
-- a reversing entry.
CREATE TABLE journal_entries (
    id TEXT PRIMARY KEY,
    region_id TEXT NOT NULL REFERENCES regions (id),
    entry_date DATE NOT NULL,
    kind TEXT NOT NULL,
    memo TEXT NOT NULL,
    source_type TEXT NOT NULL,
    source_id TEXT NOT NULL,
    reverses_entry_id TEXT REFERENCES journal_entries (id),
    created_by TEXT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (source_type, source_id, kind)
);
CREATE INDEX journal_entries_region ON journal_entries (region_id, entry_date);

CREATE TABLE journal_lines (
    id TEXT PRIMARY KEY,
    entry_id TEXT NOT NULL REFERENCES journal_entries (id),
    region_id TEXT NOT NULL REFERENCES regions (id),
    account TEXT NOT NULL CHECK (account IN ('fund', 'hospital_prepayment', 'hospital_settlement',
        'hospital_receivable', 'supplier_payable', 'prepayment_advance', 'medical_expense')),
    party_id TEXT REFERENCES organizations (id),
    debit BIGINT NOT NULL CHECK (debit >= 0),
    credit BIGINT NOT NULL CHECK (credit >= 0),
    entry_date DATE NOT NULL,
    CHECK ((debit = 0) <> (credit = 0))
);
CREATE INDEX journal_lines_account ON journal_lines (region_id, account, party_id, entry_date);
CREATE INDEX journal_lines_entry ON journal_lines (entry_id);

-- 医保基金预付: one per hospital, batch and agreement year.
CREATE TABLE prepayments (
    id TEXT PRIMARY KEY,
    region_id TEXT NOT NULL REFERENCES regions (id),
    hospital_id TEXT NOT NULL REFERENCES organizations (id),
    batch_id TEXT NOT NULL REFERENCES batches (id),
    agreement_year SMALLINT NOT NULL,
    annual_amount BIGINT NOT NULL CHECK (annual_amount >= 0),
    share_bp INTEGER NOT NULL,
    amount BIGINT NOT NULL CHECK (amount >= 0),
    policy_id TEXT NOT NULL REFERENCES region_policies (id),
    prepaid_on DATE NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (hospital_id, batch_id, agreement_year)
);

-- What the fund owes each hospital for a month of insured care (entered or imported).
CREATE TABLE monthly_settlements (
    id TEXT PRIMARY KEY,
    region_id TEXT NOT NULL REFERENCES regions (id),
    hospital_id TEXT NOT NULL REFERENCES organizations (id),
    month TEXT NOT NULL,
    amount BIGINT NOT NULL CHECK (amount >= 0),
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (hospital_id, month)
);

-- Every job run: which job, as of which date, when, how it ended, what it did.
CREATE TABLE job_runs (
    id TEXT PRIMARY KEY,
    job TEXT NOT NULL,
    as_of DATE NOT NULL,
    trigger TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    outcome TEXT NOT NULL CHECK (outcome IN ('running', 'succeeded', 'failed')),
    counts TEXT,
    error TEXT,
    host TEXT NOT NULL
);
CREATE INDEX job_runs_job ON job_runs (job, started_at);

-- Mail outbox: written in the same transaction as the change that causes the mail.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    dedup_key TEXT NOT NULL UNIQUE,
    region_id TEXT REFERENCES regions (id),
    kind TEXT NOT NULL,
    to_org_id TEXT REFERENCES organizations (id),
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);

CREATE TRIGGER journal_lines_immutable BEFORE UPDATE OR DELETE ON journal_lines
FOR EACH ROW EXECUTE FUNCTION jicai_refuse_change('journal entries are immutable; post a reversing entry');
CREATE TRIGGER journal_entries_immutable BEFORE UPDATE OR DELETE ON journal_entries
FOR EACH ROW EXECUTE FUNCTION jicai_refuse_change('journal entries are immutable; post a reversing entry');

INSERT INTO region_policies (id, region_id, kind, effective_from, params, note, created_by, created_at)
SELECT gen_random_uuid()::text, id, 'hospital_confirmation', DATE '2000-01-01',
       '{"working_days":5,"silence_confirms":true}', 'initial policy', NULL, now() FROM regions;
INSERT INTO region_policies (id, region_id, kind, effective_from, params, note, created_by, created_at)
SELECT gen_random_uuid()::text, id, 'late_interest', DATE '2000-01-01',
       '{"daily_rate":"0.0005"}', 'initial policy', NULL, now() FROM regions;
INSERT INTO region_policies (id, region_id, kind, effective_from, params, note, created_by, created_at)
SELECT gen_random_uuid()::text, id, 'prepayment', DATE '2000-01-01',
       '{"share":"0.3"}', 'initial policy', NULL, now() FROM regions;
