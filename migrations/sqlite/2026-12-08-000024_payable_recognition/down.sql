-- The journal is append-only: recognition entries stay. Only new postings to the account stop.
SELECT 1;
