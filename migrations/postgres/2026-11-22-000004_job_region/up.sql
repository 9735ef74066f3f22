-- A run triggered for one region (by its officers) records it; scheduled runs cover every region.
ALTER TABLE job_runs ADD COLUMN region_id TEXT REFERENCES regions (id);
