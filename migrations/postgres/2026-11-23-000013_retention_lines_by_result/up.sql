-- A retention line is a row of its hospital's result: it is keyed by (run, hospital, generic)
-- and references that result, instead of carrying a surrogate id and two foreign keys of its
-- own. A province run writes ≈1.5 M lines; each one's foreign-key checks cost more than the
-- row itself (COPY of a city run's lines: 280 ms with the id and two checks, 175 ms keyed and
-- with the one check against its result). The result still references its run and hospital.
ALTER TABLE retention_lines DROP COLUMN id;
ALTER TABLE retention_lines DROP CONSTRAINT retention_lines_run_id_hospital_id_generic_name_key,
    ADD PRIMARY KEY (run_id, hospital_id, generic_name);
ALTER TABLE retention_lines DROP CONSTRAINT retention_lines_run_id_fkey,
    DROP CONSTRAINT retention_lines_hospital_id_fkey,
    ADD CONSTRAINT retention_lines_result_fkey FOREIGN KEY (run_id, hospital_id)
        REFERENCES retention_results (run_id, hospital_id);
