-- User administration: a session version that ends every token issued before a switch-off,
-- role change or password reset; the last sign-in; failed sign-ins for the attempt limit.
ALTER TABLE users ADD COLUMN session_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN last_sign_in_at TIMESTAMP;

CREATE TABLE sign_in_failures (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    client TEXT NOT NULL,
    failed_at TIMESTAMP NOT NULL
);
CREATE INDEX sign_in_failures_username ON sign_in_failures (username, failed_at);
CREATE INDEX sign_in_failures_client ON sign_in_failures (client, failed_at);
