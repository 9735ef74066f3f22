-- A retention line is a row of its hospital's result: keyed by (run, hospital, generic), with
-- no surrogate id and no foreign keys of its own (a province run writes ≈1.5 M lines in the
-- transaction that writes their results; no statement updates or deletes a line). SQLite
-- cannot change a primary key in place, so the table is rebuilt; WITHOUT ROWID keeps a
-- hospital's lines together in key order.
DROP TRIGGER retention_lines_immutable;
DROP TRIGGER retention_lines_no_delete;
CREATE TABLE retention_lines_keyed (
    run_id TEXT NOT NULL,
    hospital_id TEXT NOT NULL,
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
    PRIMARY KEY (run_id, hospital_id, generic_name)
) WITHOUT ROWID;
INSERT INTO retention_lines_keyed
SELECT run_id, hospital_id, generic_name, agreed_qty, pre_vbp_price, winning_qty, winning_amount,
       above_volume_qty, above_volume_amount, non_winning_qty, non_winning_amount, budget, actual, saving
FROM retention_lines;
DROP TABLE retention_lines;
ALTER TABLE retention_lines_keyed RENAME TO retention_lines;
CREATE TRIGGER retention_lines_immutable BEFORE UPDATE ON retention_lines
BEGIN SELECT RAISE(ABORT, 'a retention run is immutable'); END;
CREATE TRIGGER retention_lines_no_delete BEFORE DELETE ON retention_lines
BEGIN SELECT RAISE(ABORT, 'a retention run is immutable'); END;
