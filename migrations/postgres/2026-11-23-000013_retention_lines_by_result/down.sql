ALTER TABLE retention_lines ADD CONSTRAINT retention_lines_run_id_fkey FOREIGN KEY (run_id) REFERENCES retention_runs (id),
    ADD CONSTRAINT retention_lines_hospital_id_fkey FOREIGN KEY (hospital_id) REFERENCES organizations (id);
ALTER TABLE retention_lines DROP CONSTRAINT retention_lines_pkey,
    ADD CONSTRAINT retention_lines_run_id_hospital_id_generic_name_key UNIQUE (run_id, hospital_id, generic_name);
ALTER TABLE retention_lines DISABLE TRIGGER retention_lines_immutable;
ALTER TABLE retention_lines ADD COLUMN id TEXT;
UPDATE retention_lines SET id = gen_random_uuid()::text;
ALTER TABLE retention_lines ALTER COLUMN id SET NOT NULL, ADD PRIMARY KEY (id);
ALTER TABLE retention_lines ENABLE TRIGGER retention_lines_immutable;
