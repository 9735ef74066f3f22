-- Tendering (招标): a procurement from demand reporting to winning bids (domain.md section 8).

CREATE TABLE tenders (
    id TEXT PRIMARY KEY,
    tender_no TEXT NOT NULL UNIQUE,
    -- The region of the bureau that runs it; its supply regions are in tender_regions.
    region_id TEXT NOT NULL REFERENCES regions (id),
    name TEXT NOT NULL,
    document_no TEXT NOT NULL,
    category TEXT NOT NULL CHECK (category IN ('drug', 'consumable')),
    level TEXT NOT NULL CHECK (level IN ('national', 'provincial', 'alliance')),
    cycle_start DATE NOT NULL,
    cycle_end DATE NOT NULL,
    demand_closes_at TIMESTAMP NOT NULL,
    bid_deadline TIMESTAMP NOT NULL,
    opening_at TIMESTAMP NOT NULL,
    -- The rules as resolved from the tender policy version when the tender was drafted (JSON).
    rules TEXT NOT NULL,
    rules_policy_id TEXT NOT NULL REFERENCES region_policies (id),
    status TEXT NOT NULL CHECK (status IN ('draft', 'demand_reporting', 'published', 'bidding', 'opened',
        'proposed', 'final', 'regions_allocated', 'in_force')),
    -- The tender's bid key, wrapped by the server's sealing key (which is never in the database);
    -- released (unwrapped) at the opening, so that anyone can check a sealed bid afterwards.
    sealed_key TEXT NOT NULL,
    opened_key TEXT,
    opened_at TIMESTAMP,
    proposed_at TIMESTAMP,
    objections_close_at TIMESTAMP,
    final_at TIMESTAMP,
    enacted_at TIMESTAMP,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (region_id, document_no),
    CHECK (cycle_end > cycle_start),
    CHECK (demand_closes_at <= bid_deadline AND bid_deadline <= opening_at)
);

CREATE TABLE tender_regions (
    tender_id TEXT NOT NULL REFERENCES tenders (id),
    region_id TEXT NOT NULL REFERENCES regions (id),
    PRIMARY KEY (tender_id, region_id)
);
CREATE INDEX tender_regions_region ON tender_regions (region_id);

-- A generic of the tender with its representative spec and max valid declared price.
CREATE TABLE tender_generics (
    id TEXT PRIMARY KEY,
    tender_id TEXT NOT NULL REFERENCES tenders (id),
    generic_name TEXT NOT NULL,
    dosage_form TEXT NOT NULL,
    -- Representative spec: strength (and fill volume for injections), decimal strings.
    rep_strength TEXT NOT NULL,
    rep_fill_volume TEXT,
    strength_unit TEXT NOT NULL,
    min_unit TEXT NOT NULL,
    -- Per representative minimum unit, in 1/10,000 yuan.
    max_price BIGINT NOT NULL CHECK (max_price > 0),
    -- Filled at the opening.
    valid_bids INTEGER,
    shortlist_cap INTEGER,
    lowest BIGINT,
    anchor BIGINT,
    threshold BIGINT,
    discount_line BIGINT,
    winners INTEGER,
    UNIQUE (tender_id, generic_name, dosage_form)
);

-- A hospital's annual demand for a generic, optionally for one brand (a catalogue product).
CREATE TABLE tender_demands (
    id TEXT PRIMARY KEY,
    tender_id TEXT NOT NULL REFERENCES tenders (id),
    generic_id TEXT NOT NULL REFERENCES tender_generics (id),
    hospital_id TEXT NOT NULL REFERENCES organizations (id),
    region_id TEXT NOT NULL REFERENCES regions (id),
    product_id TEXT REFERENCES products (id),
    quantity BIGINT NOT NULL CHECK (quantity >= 0),
    past_use BIGINT,
    reason TEXT,
    status TEXT NOT NULL CHECK (status IN ('submitted', 'returned')),
    return_reason TEXT,
    updated_by TEXT NOT NULL REFERENCES users (id),
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (generic_id, hospital_id)
);
CREATE INDEX tender_demands_tender ON tender_demands (tender_id, region_id);

-- An enterprise qualified to bid on a generic with one of its catalogue products.
CREATE TABLE tender_qualifications (
    id TEXT PRIMARY KEY,
    tender_id TEXT NOT NULL REFERENCES tenders (id),
    generic_id TEXT NOT NULL REFERENCES tender_generics (id),
    enterprise_id TEXT NOT NULL REFERENCES organizations (id),
    product_id TEXT NOT NULL REFERENCES products (id),
    strength TEXT NOT NULL,
    fill_volume TEXT,
    units_per_pack BIGINT NOT NULL CHECK (units_per_pack > 0),
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (generic_id, enterprise_id)
);

-- A sealed bid: its price exists only inside `sealed` (AES-256-GCM under the tender's key)
-- until the opening writes the figures below.
CREATE TABLE tender_bids (
    id TEXT PRIMARY KEY,
    tender_id TEXT NOT NULL REFERENCES tenders (id),
    generic_id TEXT NOT NULL REFERENCES tender_generics (id),
    qualification_id TEXT NOT NULL REFERENCES tender_qualifications (id),
    enterprise_id TEXT NOT NULL REFERENCES organizations (id),
    sealed TEXT NOT NULL,
    receipt TEXT NOT NULL,
    version INTEGER NOT NULL,
    submitted_at TIMESTAMP NOT NULL,
    pack_price BIGINT,
    unit_price TEXT,
    coefficient TEXT,
    comparable BIGINT,
    comparable_exact TEXT,
    rank INTEGER,
    shortlisted BOOLEAN,
    wins BOOLEAN,
    decision TEXT,
    cost_statement BOOLEAN,
    offer_price BIGINT,
    offer_pack_price BIGINT,
    offer_deadline TIMESTAMP,
    offer_answer TEXT CHECK (offer_answer IN ('accepted', 'refused', 'lapsed')),
    offer_answered_at TIMESTAMP,
    -- The winner's pack price for its own spec: its bid, or the accepted offer.
    final_pack_price BIGINT,
    UNIQUE (generic_id, enterprise_id)
);

-- The supply-region picks of a generic's winners, in the order made.
CREATE TABLE tender_picks (
    generic_id TEXT NOT NULL REFERENCES tender_generics (id),
    seq INTEGER NOT NULL,
    enterprise_id TEXT NOT NULL REFERENCES organizations (id),
    region_id TEXT NOT NULL REFERENCES regions (id),
    kind TEXT NOT NULL CHECK (kind IN ('priority', 'round', 'backup')),
    round INTEGER NOT NULL,
    by_default BOOLEAN NOT NULL,
    picked_at TIMESTAMP NOT NULL,
    PRIMARY KEY (generic_id, seq)
);
CREATE UNIQUE INDEX tender_picks_primary ON tender_picks (generic_id, region_id) WHERE kind <> 'backup';
CREATE UNIQUE INDEX tender_picks_backup ON tender_picks (generic_id, region_id) WHERE kind = 'backup';

CREATE TABLE tender_objections (
    id TEXT PRIMARY KEY,
    tender_id TEXT NOT NULL REFERENCES tenders (id),
    generic_id TEXT REFERENCES tender_generics (id),
    enterprise_id TEXT NOT NULL REFERENCES organizations (id),
    body TEXT NOT NULL,
    filed_at TIMESTAMP NOT NULL,
    answer TEXT,
    answered_by TEXT REFERENCES users (id),
    answered_at TIMESTAMP
);
CREATE INDEX tender_objections_tender ON tender_objections (tender_id);

INSERT INTO region_policies (id, region_id, kind, effective_from, params, note, created_by, created_at)
SELECT gen_random_uuid()::text, id, 'tender', DATE '2000-01-01', '{"coefficients":{"strength":"1.7","fill_volume":"1.9"},"cap_tables":[{"name":"batch10","caps":[1,2,2,3,3,3,4,5,6,6,7,8,8,9,9,10]},{"name":"batch9","caps":[1,2,2,3,4,4,5,6,7,8,9,9,10,10,10,10]}],"rule_sets":[{"name":"batch10_accept_highest","base":{"base":"lowest"},"multiple":"1.8","absolute_ceiling":"0.10","discount_from_max":null,"offer_highest_winning":true,"single_winner_offer_multiple":"1.8"},{"name":"1.8x_0.10_50pct","base":{"base":"lowest"},"multiple":"1.8","absolute_ceiling":"0.10","discount_from_max":"0.5","offer_highest_winning":false,"single_winner_offer_multiple":null},{"name":"anchor_price","base":{"base":"anchor","share_of_average":"0.5"},"multiple":"1.8","absolute_ceiling":null,"discount_from_max":null,"offer_highest_winning":false,"single_winner_offer_multiple":null}],"ratio_tables":[{"name":"by_winners","table":[{"min_winners":1,"ratio":"0.5"},{"min_winners":2,"ratio":"0.6"},{"min_winners":3,"ratio":"0.7"},{"min_winners":4,"ratio":"0.8"}]},{"name":"anti_infective","table":[{"min_winners":1,"ratio":"0.3"},{"min_winners":2,"ratio":"0.4"},{"min_winners":3,"ratio":"0.5"}]},{"name":"flat_80","table":[{"min_winners":1,"ratio":"0.8"}]}],"demand_floor":"0.8","offer_hours":48,"objection_days":3,"pick_hours":24}', 'initial policy', NULL, now() FROM regions;
