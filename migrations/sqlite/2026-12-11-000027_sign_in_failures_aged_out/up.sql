-- Failed sign-ins older than the attempt window count for nothing; each new failure deletes
-- them, by this index, so the table holds one window's failures at most.
CREATE INDEX sign_in_failures_failed_at ON sign_in_failures (failed_at);
