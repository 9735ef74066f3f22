-- Inputs the bureau provides, per region and agreement year: the pre-VBP average price of a
-- generic (subject = generic name), the fund's payment ratio (subject = ''), a hospital's insured
-- share (subject = hospital id), a manual score (subject = hospital id ':' component key).
-- Values are exact decimal strings. Runs copy what they use.
CREATE TABLE retention_inputs (
    region_id TEXT NOT NULL REFERENCES regions (id),
    agreement_year SMALLINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('pre_vbp_price', 'fund_ratio', 'insured_share', 'manual_score')),
    subject TEXT NOT NULL,
    value TEXT NOT NULL,
    comment TEXT,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (region_id, agreement_year, kind, subject)
);

-- A calculation run: immutable once written; a newer run supersedes it, approval makes it final.
CREATE TABLE retention_runs (
    id TEXT PRIMARY KEY,
    run_no TEXT NOT NULL UNIQUE,
    region_id TEXT NOT NULL REFERENCES regions (id),
    agreement_year SMALLINT NOT NULL,
    as_of DATE NOT NULL,
    policy_id TEXT NOT NULL REFERENCES region_policies (id),
    status TEXT NOT NULL CHECK (status IN ('calculated', 'approved', 'superseded')),
    supersedes_id TEXT REFERENCES retention_runs (id),
    inputs TEXT NOT NULL,
    total_surplus BIGINT NOT NULL,
    total_retained BIGINT NOT NULL,
    started_by TEXT NOT NULL REFERENCES users (id),
    trigger TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    approved_by TEXT REFERENCES users (id),
    approved_at TIMESTAMP
);
CREATE INDEX retention_runs_region ON retention_runs (region_id, agreement_year, created_at);

CREATE TABLE retention_lines (
    id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES retention_runs (id),
    hospital_id TEXT NOT NULL REFERENCES organizations (id),
    generic_name TEXT NOT NULL,
    agreed_qty BIGINT NOT NULL,
    pre_vbp_price BIGINT NOT NULL,
    winning_qty BIGINT NOT NULL,
    winning_amount BIGINT NOT NULL,
    above_volume_qty BIGINT NOT NULL,
    above_volume_amount BIGINT NOT NULL,
    non_winning_qty BIGINT NOT NULL,
    non_winning_amount BIGINT NOT NULL,
    budget TEXT NOT NULL,
    actual TEXT NOT NULL,
    saving TEXT NOT NULL,
    UNIQUE (run_id, hospital_id, generic_name)
);

CREATE TABLE retention_results (
    run_id TEXT NOT NULL REFERENCES retention_runs (id),
    hospital_id TEXT NOT NULL REFERENCES organizations (id),
    fund_ratio TEXT NOT NULL,
    insured_share TEXT NOT NULL,
    surplus BIGINT NOT NULL,
    components TEXT NOT NULL,
    score TEXT,
    grade TEXT NOT NULL,
    share TEXT NOT NULL,
    retained BIGINT NOT NULL,
    PRIMARY KEY (run_id, hospital_id)
);

-- Early warnings (智能监控): one per kind, subject and day.
CREATE TABLE monitoring_warnings (
    id TEXT PRIMARY KEY,
    region_id TEXT NOT NULL REFERENCES regions (id),
    hospital_id TEXT REFERENCES organizations (id),
    supplier_id TEXT REFERENCES organizations (id),
    kind TEXT NOT NULL CHECK (kind IN ('behind_pace', 'non_winning_exceeds_winning', 'supplier_unreliable')),
    subject TEXT NOT NULL,
    as_of DATE NOT NULL,
    message TEXT NOT NULL,
    details TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (kind, subject, as_of)
);
CREATE INDEX monitoring_warnings_region ON monitoring_warnings (region_id, as_of);

CREATE TRIGGER retention_lines_immutable BEFORE UPDATE ON retention_lines
BEGIN SELECT RAISE(ABORT, 'a retention run is immutable'); END;
CREATE TRIGGER retention_lines_no_delete BEFORE DELETE ON retention_lines
BEGIN SELECT RAISE(ABORT, 'a retention run is immutable'); END;
CREATE TRIGGER retention_results_immutable BEFORE UPDATE ON retention_results
BEGIN SELECT RAISE(ABORT, 'a retention run is immutable'); END;
CREATE TRIGGER retention_results_no_delete BEFORE DELETE ON retention_results
BEGIN SELECT RAISE(ABORT, 'a retention run is immutable'); END;

INSERT INTO region_policies (id, region_id, kind, effective_from, params, note, created_by, created_at)
SELECT lower(hex(randomblob(16))), id, 'retention', '2000-01-01', '{"count_non_winning":true,"count_above_volume":false,"components":[{"key":"completion","weight":40,"manual":false},{"key":"winning_share","weight":30,"manual":false},{"key":"on_time_confirmation","weight":10,"manual":false},{"key":"rational_use","weight":20,"manual":true}],"grades":[{"grade":"A","min_score":"80","share":"0.5"},{"grade":"B","min_score":"70","share":"0.4"},{"grade":"C","min_score":"60","share":"0.3"},{"grade":"D","min_score":"0","share":"0"}],"floor_share":null,"two_officers":true}', 'initial policy', NULL, CURRENT_TIMESTAMP FROM regions;
INSERT INTO region_policies (id, region_id, kind, effective_from, params, note, created_by, created_at)
SELECT lower(hex(randomblob(16))), id, 'monitoring', '2000-01-01', '{"pace_threshold_points":"15","supplier_decline_rate":"0.2","supplier_min_orders":5}', 'initial policy', NULL, CURRENT_TIMESTAMP FROM regions;
