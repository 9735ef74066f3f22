DROP TRIGGER retention_lines_immutable;
DROP TRIGGER retention_lines_no_delete;
CREATE TABLE retention_lines_with_id (
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
INSERT INTO retention_lines_with_id
SELECT lower(hex(randomblob(16))), run_id, hospital_id, generic_name, agreed_qty, pre_vbp_price, winning_qty,
       winning_amount, above_volume_qty, above_volume_amount, non_winning_qty, non_winning_amount, budget, actual, saving
FROM retention_lines;
DROP TABLE retention_lines;
ALTER TABLE retention_lines_with_id RENAME TO retention_lines;
CREATE TRIGGER retention_lines_immutable BEFORE UPDATE ON retention_lines
BEGIN SELECT RAISE(ABORT, 'a retention run is immutable'); END;
CREATE TRIGGER retention_lines_no_delete BEFORE DELETE ON retention_lines
BEGIN SELECT RAISE(ABORT, 'a retention run is immutable'); END;
