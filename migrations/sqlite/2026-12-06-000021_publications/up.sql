-- Public disclosure (信息披露, domain.md section 11): what a bureau officer chose to publish,
-- when, as a frozen snapshot per region, kind and version. The public site serves the latest
-- version of each kind; nothing in a snapshot names a person.
CREATE TABLE publications (
    id TEXT PRIMARY KEY,
    region_id TEXT NOT NULL REFERENCES regions (id),
    kind TEXT NOT NULL CHECK (kind IN ('tender_results', 'winning_prices', 'credit_ratings', 'payment_standards', 'payment_timeliness')),
    version INTEGER NOT NULL CHECK (version > 0),
    as_of DATE NOT NULL,
    content TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    items INTEGER NOT NULL,
    note TEXT,
    published_by TEXT NOT NULL REFERENCES users (id),
    published_at TIMESTAMP NOT NULL,
    UNIQUE (region_id, kind, version)
);
