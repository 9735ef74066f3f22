-- Pooling regions (统筹区). Codes are administrative division codes.
CREATE TABLE regions (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    province_code TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE organizations (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('platform', 'bureau', 'hospital', 'enterprise')),
    name TEXT NOT NULL,
    credit_code TEXT UNIQUE,
    region_id TEXT REFERENCES regions (id),
    hospital_level SMALLINT CHECK (hospital_level IN (1, 2, 3)),
    is_manufacturer BOOLEAN NOT NULL DEFAULT FALSE,
    is_distributor BOOLEAN NOT NULL DEFAULT FALSE,
    bank_name TEXT,
    bank_account TEXT,
    is_demo BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    CHECK ((kind = 'hospital') = (hospital_level IS NOT NULL)),
    CHECK (kind NOT IN ('bureau', 'hospital') OR region_id IS NOT NULL)
);
CREATE INDEX organizations_region ON organizations (region_id, kind);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    email TEXT,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'bureau_officer', 'fund_officer', 'hospital_buyer', 'supplier')),
    org_id TEXT NOT NULL REFERENCES organizations (id),
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX users_org ON users (org_id);

-- Policy as data: one row per version, effective from a date.
CREATE TABLE region_policies (
    id TEXT PRIMARY KEY,
    region_id TEXT NOT NULL REFERENCES regions (id),
    kind TEXT NOT NULL,
    effective_from DATE NOT NULL,
    params TEXT NOT NULL,
    note TEXT,
    created_by TEXT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (region_id, kind, effective_from)
);

CREATE TABLE products (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    category TEXT NOT NULL CHECK (category IN ('drug', 'consumable')),
    generic_name TEXT NOT NULL,
    generic_name_en TEXT,
    dosage_form TEXT NOT NULL,
    specification TEXT NOT NULL,
    pack_size BIGINT NOT NULL CHECK (pack_size > 0),
    min_unit TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX products_generic ON products (generic_name);

CREATE TABLE batches (
    id TEXT PRIMARY KEY,
    region_id TEXT NOT NULL REFERENCES regions (id),
    name TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('national', 'provincial', 'alliance')),
    category TEXT NOT NULL CHECK (category IN ('drug', 'consumable')),
    document_no TEXT NOT NULL,
    cycle_start DATE NOT NULL,
    cycle_end DATE NOT NULL,
    volume_ratios TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (region_id, document_no),
    CHECK (cycle_end > cycle_start)
);

CREATE TABLE winning_bids (
    id TEXT PRIMARY KEY,
    batch_id TEXT NOT NULL REFERENCES batches (id),
    product_id TEXT NOT NULL REFERENCES products (id),
    enterprise_id TEXT NOT NULL REFERENCES organizations (id),
    unit_price BIGINT NOT NULL CHECK (unit_price > 0),
    pack_price BIGINT NOT NULL CHECK (pack_price > 0),
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (batch_id, product_id, enterprise_id)
);
CREATE INDEX winning_bids_enterprise ON winning_bids (enterprise_id);

CREATE TABLE bid_supply_regions (
    bid_id TEXT NOT NULL REFERENCES winning_bids (id),
    region_code TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('primary', 'backup')),
    PRIMARY KEY (bid_id, region_code)
);

CREATE TABLE bid_distributors (
    bid_id TEXT NOT NULL REFERENCES winning_bids (id),
    enterprise_id TEXT NOT NULL REFERENCES organizations (id),
    PRIMARY KEY (bid_id, enterprise_id)
);
CREATE INDEX bid_distributors_enterprise ON bid_distributors (enterprise_id);

-- 挂网非中选产品: may be bought, tracked for monitoring and retention.
CREATE TABLE listed_products (
    id TEXT PRIMARY KEY,
    region_id TEXT NOT NULL REFERENCES regions (id),
    product_id TEXT NOT NULL REFERENCES products (id),
    enterprise_id TEXT NOT NULL REFERENCES organizations (id),
    unit_price BIGINT NOT NULL CHECK (unit_price > 0),
    pack_price BIGINT NOT NULL CHECK (pack_price > 0),
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (region_id, product_id, enterprise_id)
);

CREATE TABLE agreed_volumes (
    id TEXT PRIMARY KEY,
    region_id TEXT NOT NULL REFERENCES regions (id),
    hospital_id TEXT NOT NULL REFERENCES organizations (id),
    bid_id TEXT NOT NULL REFERENCES winning_bids (id),
    agreement_year SMALLINT NOT NULL CHECK (agreement_year BETWEEN 1 AND 3),
    year_start DATE NOT NULL,
    year_end DATE NOT NULL,
    reported_demand BIGINT NOT NULL CHECK (reported_demand >= 0),
    winners SMALLINT NOT NULL CHECK (winners > 0),
    ratio_bp INTEGER NOT NULL CHECK (ratio_bp BETWEEN 0 AND 10000),
    agreed_qty BIGINT NOT NULL CHECK (agreed_qty >= 0),
    ordered_qty BIGINT NOT NULL DEFAULT 0 CHECK (ordered_qty >= 0),
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (hospital_id, bid_id, agreement_year)
);
CREATE INDEX agreed_volumes_bid ON agreed_volumes (bid_id);

CREATE TABLE orders (
    id TEXT PRIMARY KEY,
    order_no TEXT NOT NULL UNIQUE,
    region_id TEXT NOT NULL REFERENCES regions (id),
    hospital_id TEXT NOT NULL REFERENCES organizations (id),
    supplier_id TEXT NOT NULL REFERENCES organizations (id),
    status TEXT NOT NULL,
    total_amount BIGINT NOT NULL CHECK (total_amount >= 0),
    note TEXT,
    decline_reason TEXT,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX orders_hospital ON orders (hospital_id, created_at);
CREATE INDEX orders_supplier ON orders (supplier_id, created_at);
CREATE INDEX orders_region ON orders (region_id, created_at);

CREATE TABLE order_lines (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders (id),
    line_no INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('winning', 'non_winning')),
    bid_id TEXT REFERENCES winning_bids (id),
    listed_product_id TEXT REFERENCES listed_products (id),
    product_id TEXT NOT NULL REFERENCES products (id),
    agreed_volume_id TEXT REFERENCES agreed_volumes (id),
    unit_price BIGINT NOT NULL CHECK (unit_price > 0),
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    in_volume_qty BIGINT NOT NULL CHECK (in_volume_qty >= 0),
    above_volume_qty BIGINT NOT NULL CHECK (above_volume_qty >= 0),
    amount BIGINT NOT NULL CHECK (amount >= 0),
    accepted_qty BIGINT NOT NULL DEFAULT 0 CHECK (accepted_qty >= 0),
    UNIQUE (order_id, line_no),
    CHECK ((kind = 'winning' AND in_volume_qty + above_volume_qty = quantity)
        OR (kind = 'non_winning' AND in_volume_qty = 0 AND above_volume_qty = 0)),
    CHECK (accepted_qty <= quantity),
    CHECK ((kind = 'winning') = (bid_id IS NOT NULL)),
    CHECK ((kind = 'non_winning') = (listed_product_id IS NOT NULL))
);
CREATE INDEX order_lines_agreed_volume ON order_lines (agreed_volume_id);

CREATE TABLE order_status_history (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders (id),
    from_status TEXT,
    to_status TEXT NOT NULL,
    actor_user_id TEXT NOT NULL REFERENCES users (id),
    at TIMESTAMP NOT NULL,
    note TEXT
);
CREATE INDEX order_status_history_order ON order_status_history (order_id, at);

CREATE TABLE deliveries (
    id TEXT PRIMARY KEY,
    delivery_no TEXT NOT NULL UNIQUE,
    order_id TEXT NOT NULL REFERENCES orders (id),
    region_id TEXT NOT NULL REFERENCES regions (id),
    hospital_id TEXT NOT NULL REFERENCES organizations (id),
    supplier_id TEXT NOT NULL REFERENCES organizations (id),
    status TEXT NOT NULL CHECK (status IN ('shipped', 'accepted')),
    note TEXT,
    shipped_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id)
);
CREATE INDEX deliveries_order ON deliveries (order_id);
CREATE INDEX deliveries_hospital ON deliveries (hospital_id, shipped_at);
CREATE INDEX deliveries_supplier ON deliveries (supplier_id, shipped_at);

CREATE TABLE delivery_lines (
    id TEXT PRIMARY KEY,
    delivery_id TEXT NOT NULL REFERENCES deliveries (id),
    order_line_id TEXT NOT NULL REFERENCES order_lines (id),
    line_no INTEGER NOT NULL,
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    lot_no TEXT NOT NULL,
    production_date DATE NOT NULL,
    expiry_date DATE NOT NULL,
    accepted_qty BIGINT CHECK (accepted_qty >= 0),
    rejected_qty BIGINT CHECK (rejected_qty >= 0),
    reject_reason TEXT,
    UNIQUE (delivery_id, line_no),
    CHECK (expiry_date > production_date),
    CHECK ((accepted_qty IS NULL) = (rejected_qty IS NULL)),
    CHECK (accepted_qty IS NULL OR accepted_qty + rejected_qty = quantity),
    CHECK (rejected_qty IS NULL OR rejected_qty = 0 OR reject_reason IS NOT NULL)
);
CREATE INDEX delivery_lines_order_line ON delivery_lines (order_line_id);

-- 验收. A confirmed acceptance is immutable (enforced by the domain and by triggers).
CREATE TABLE acceptances (
    id TEXT PRIMARY KEY,
    delivery_id TEXT NOT NULL UNIQUE REFERENCES deliveries (id),
    status TEXT NOT NULL CHECK (status IN ('draft', 'confirmed')),
    received_by TEXT NOT NULL,
    delivered_by TEXT NOT NULL,
    note TEXT,
    accepted_at TIMESTAMP,
    acceptance_date DATE,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    confirmed_by TEXT REFERENCES users (id),
    CHECK ((status = 'confirmed') = (accepted_at IS NOT NULL AND acceptance_date IS NOT NULL))
);

-- 结算应付: exactly one per confirmed acceptance.
CREATE TABLE payables (
    id TEXT PRIMARY KEY,
    payable_no TEXT NOT NULL UNIQUE,
    acceptance_id TEXT NOT NULL UNIQUE REFERENCES acceptances (id),
    delivery_id TEXT NOT NULL REFERENCES deliveries (id),
    order_id TEXT NOT NULL REFERENCES orders (id),
    region_id TEXT NOT NULL REFERENCES regions (id),
    hospital_id TEXT NOT NULL REFERENCES organizations (id),
    supplier_id TEXT NOT NULL REFERENCES organizations (id),
    amount BIGINT NOT NULL CHECK (amount >= 0),
    acceptance_date DATE NOT NULL,
    due_date DATE NOT NULL,
    deadline_policy_id TEXT NOT NULL REFERENCES region_policies (id),
    status TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    CHECK (due_date >= acceptance_date)
);
CREATE INDEX payables_supplier_due ON payables (supplier_id, due_date);
CREATE INDEX payables_hospital_due ON payables (hospital_id, due_date);
CREATE INDEX payables_region_due ON payables (region_id, due_date);

-- Append-only audit log; each event carries the hash of the previous event of the same entity.
CREATE TABLE audit_events (
    id TEXT PRIMARY KEY,
    occurred_at TIMESTAMP NOT NULL,
    region_id TEXT REFERENCES regions (id),
    actor_user_id TEXT REFERENCES users (id),
    actor_org_id TEXT REFERENCES organizations (id),
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    action TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT,
    prev_hash TEXT,
    hash TEXT NOT NULL
);
CREATE INDEX audit_events_region ON audit_events (region_id, occurred_at);
CREATE INDEX audit_events_entity ON audit_events (entity_type, entity_id, occurred_at);

-- Idempotency-Key: the first response is stored with a hash of its request.
CREATE TABLE idempotency_keys (
    user_id TEXT NOT NULL REFERENCES users (id),
    idem_key TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status_code INTEGER NOT NULL,
    response_body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, idem_key)
);

CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
CREATE TRIGGER acceptances_confirmed_immutable BEFORE UPDATE ON acceptances
WHEN OLD.status = 'confirmed'
BEGIN SELECT RAISE(ABORT, 'a confirmed acceptance is immutable'); END;
CREATE TRIGGER delivery_lines_confirmed_immutable BEFORE UPDATE ON delivery_lines
WHEN EXISTS (SELECT 1 FROM acceptances a WHERE a.delivery_id = OLD.delivery_id AND a.status = 'confirmed')
BEGIN SELECT RAISE(ABORT, 'a confirmed acceptance is immutable'); END;
