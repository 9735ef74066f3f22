-- A retention line is a row of its hospital's result: keyed by (run, hospital, generic), with
-- no surrogate id and no foreign keys of its own. A province run writes ≈1.5 M lines in the
-- transaction that writes their results, and no statement updates or deletes a line
-- (retention_lines_immutable); a line is reached only through its result. A foreign-key check
-- a line cost more than the line: COPY of a city run's lines took 280 ms with the id and two
-- checks, 72 ms keyed with none; at province the one check against the result, which the run
-- writes in the same transaction, took 55 µs a line and grew as the run went (33 s for the
-- first 600,000 lines).
ALTER TABLE retention_lines DROP COLUMN id;
ALTER TABLE retention_lines DROP CONSTRAINT retention_lines_run_id_hospital_id_generic_name_key,
    ADD PRIMARY KEY (run_id, hospital_id, generic_name);
ALTER TABLE retention_lines DROP CONSTRAINT retention_lines_run_id_fkey,
    DROP CONSTRAINT retention_lines_hospital_id_fkey;
