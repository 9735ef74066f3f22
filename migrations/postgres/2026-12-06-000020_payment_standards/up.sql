-- Insurance payment standards (医保支付标准, domain.md section 10).

-- A product's standing in consistency evaluation (一致性评价): originator, passed, not passed;
-- NULL when not recorded (the payment-standard rules then apply the general non-winning rule).
ALTER TABLE products ADD COLUMN consistency TEXT CHECK (consistency IN ('originator', 'passed', 'not_passed'));

-- One version of a product's payment standard in a region, for an effective date, with the
-- branch of the rule that decided it and its inputs, so it can be explained line by line.
CREATE TABLE payment_standards (
    id TEXT PRIMARY KEY,
    region_id TEXT NOT NULL REFERENCES regions (id),
    generic_name TEXT NOT NULL,
    product_id TEXT NOT NULL REFERENCES products (id),
    enterprise_id TEXT NOT NULL REFERENCES organizations (id),
    -- 'winning': a winning bid (source_id = winning_bids.id); 'listed': a listed non-winning
    -- product (source_id = listed_products.id).
    source TEXT NOT NULL CHECK (source IN ('winning', 'listed')),
    source_id TEXT NOT NULL,
    effective_from DATE NOT NULL,
    version INTEGER NOT NULL CHECK (version >= 1),
    status TEXT NOT NULL CHECK (status IN ('draft', 'published', 'superseded')),
    branch TEXT NOT NULL CHECK (branch IN ('winning', 'below_winning', 'within_2x', 'above_2x_glide',
        'not_passed', 'fujian_70', 'heilongjiang')),
    glide_year INTEGER CHECK (glide_year >= 1),
    consistency TEXT,
    -- Per minimum unit, in 1/10,000 yuan.
    product_price BIGINT NOT NULL CHECK (product_price > 0),
    winning_price BIGINT NOT NULL CHECK (winning_price > 0),
    standard BIGINT NOT NULL CHECK (standard > 0),
    -- The fund's share within the standard, a decimal string ("0.7").
    fund_share TEXT NOT NULL,
    variant TEXT NOT NULL CHECK (variant IN ('national', 'fujian', 'heilongjiang')),
    policy_id TEXT NOT NULL REFERENCES region_policies (id),
    -- JSON: the figures and rule parameters used; the explanation lines (Chinese and English).
    inputs TEXT NOT NULL,
    explanation TEXT NOT NULL,
    computed_by TEXT NOT NULL REFERENCES users (id),
    computed_at TIMESTAMP NOT NULL,
    published_by TEXT REFERENCES users (id),
    published_at TIMESTAMP,
    UNIQUE (region_id, product_id, enterprise_id, effective_from, version),
    CHECK ((status = 'published') = (published_at IS NOT NULL))
);
CREATE INDEX payment_standards_region ON payment_standards (region_id, effective_from, status);
CREATE INDEX payment_standards_enterprise ON payment_standards (enterprise_id, status);

-- A published standard never changes: corrections are new versions.
CREATE TRIGGER payment_standards_published_immutable BEFORE UPDATE OR DELETE ON payment_standards
FOR EACH ROW WHEN (OLD.status = 'published')
EXECUTE FUNCTION jicai_refuse_change('a published payment standard is immutable');

INSERT INTO region_policies (id, region_id, kind, effective_from, params, note, created_by, created_at)
SELECT gen_random_uuid()::text, id, 'payment_standard', DATE '2000-01-01', '{"default_variant":"national","fund_share":"0.7","national":{"threshold_multiple":"2","first_year_cut":"0.3","glide_years":3},"fujian":{"outside_group_share":"0.7"},"heilongjiang":{"copay_raise":"0.1"}}', 'initial policy', NULL, now() FROM regions;
