ALTER TABLE job_runs DROP COLUMN region_id;
