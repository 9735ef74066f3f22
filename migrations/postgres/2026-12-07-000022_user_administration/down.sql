DROP TABLE sign_in_failures;
ALTER TABLE users DROP COLUMN last_sign_in_at;
ALTER TABLE users DROP COLUMN session_version;
