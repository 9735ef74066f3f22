-- Credit rating of enterprises (医药价格和招采信用评价, domain.md section 9).
-- A case holds the facts (basis, document, conduct, amount), the grade the region's credit
-- policy suggests with its explanation, the officer's decision and reason, and a second
-- officer's approval. Measures and end dates are frozen at approval from the policy version.
CREATE TABLE credit_cases (
    id TEXT PRIMARY KEY,
    case_no TEXT NOT NULL UNIQUE,
    region_id TEXT NOT NULL REFERENCES regions (id),
    status TEXT NOT NULL CHECK (status IN ('proposed', 'recorded', 'pending_approval', 'in_force', 'repaired', 'dismissed')),
    basis TEXT NOT NULL CHECK (basis IN ('court_judgment', 'administrative_penalty', 'audit_finding', 'platform_evidence')),
    document_no TEXT,
    decision_date DATE NOT NULL,
    conduct TEXT NOT NULL,
    amount BIGINT CHECK (amount >= 0),
    top_condition TEXT,
    summary TEXT NOT NULL,
    evidence TEXT,
    proposal_key TEXT UNIQUE,
    policy_id TEXT NOT NULL REFERENCES region_policies (id),
    grading TEXT NOT NULL,
    suggested_grade TEXT,
    grade TEXT,
    decision_reason TEXT,
    decided_by TEXT REFERENCES users (id),
    decided_at TIMESTAMP,
    approved_by TEXT REFERENCES users (id),
    approved_at TIMESTAMP,
    review_note TEXT,
    measures TEXT,
    effective_from DATE,
    ends_on DATE,
    distribution_until DATE,
    repaired_at TIMESTAMP,
    closed_reason TEXT,
    created_by TEXT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    CHECK (basis = 'platform_evidence' OR document_no IS NOT NULL),
    CHECK (approved_by IS NULL OR approved_by <> decided_by)
);
CREATE INDEX credit_cases_region ON credit_cases (region_id, status);

-- The enterprises a case involves, the marketing-authorisation holder included.
CREATE TABLE credit_case_parties (
    case_id TEXT NOT NULL REFERENCES credit_cases (id),
    enterprise_id TEXT NOT NULL REFERENCES organizations (id),
    role TEXT NOT NULL CHECK (role IN ('mah', 'manufacturer', 'distributor')),
    PRIMARY KEY (case_id, enterprise_id)
);
CREATE INDEX credit_case_parties_enterprise ON credit_case_parties (enterprise_id);

CREATE TABLE credit_case_products (
    case_id TEXT NOT NULL REFERENCES credit_cases (id),
    product_id TEXT NOT NULL REFERENCES products (id),
    PRIMARY KEY (case_id, product_id)
);

-- Evidence of a corrective measure (信用修复), accepted or rejected by an officer.
CREATE TABLE credit_repairs (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES credit_cases (id),
    measure TEXT NOT NULL,
    evidence TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('submitted', 'accepted', 'rejected')),
    submitted_by TEXT NOT NULL REFERENCES users (id),
    submitted_at TIMESTAMP NOT NULL,
    reviewed_by TEXT REFERENCES users (id),
    reviewed_at TIMESTAMP,
    review_note TEXT
);
CREATE INDEX credit_repairs_case ON credit_repairs (case_id);

-- 信用承诺书: the signed letter, stored with its hash.
CREATE TABLE commitment_letters (
    id TEXT PRIMARY KEY,
    enterprise_id TEXT NOT NULL REFERENCES organizations (id),
    template_version TEXT NOT NULL,
    signer TEXT NOT NULL,
    signed_on DATE NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    content BLOB NOT NULL,
    sha256 TEXT NOT NULL,
    uploaded_by TEXT NOT NULL REFERENCES users (id),
    uploaded_at TIMESTAMP NOT NULL
);
CREATE INDEX commitment_letters_enterprise ON commitment_letters (enterprise_id, signed_on);

INSERT INTO region_policies (id, region_id, kind, effective_from, params, note, created_by, created_at)
SELECT lower(hex(randomblob(16))), id, 'credit', '2000-01-01', '{"scheme":"2025","grades":[{"code":"dishonest","name_zh":"失信","name_en":"Dishonest","measures":["written_reminder","risk_flag","disclosure","suspend_distribution"],"distributor_suspension_years":1},{"code":"serious","name_zh":"严重失信","name_en":"Seriously dishonest","measures":["written_reminder","risk_flag","disclosure","suspend_distribution","cancel_involved_listing"],"distributor_suspension_years":3},{"code":"especially_serious","name_zh":"特别严重失信","name_en":"Especially seriously dishonest","measures":["written_reminder","risk_flag","disclosure","suspend_distribution","cancel_involved_listing","suspend_bidding_and_listing"],"distributor_suspension_years":5}],"bands":[{"conduct":"bribery","bands":[{"from":"0.00","grade":"dishonest"},{"from":"500000.00","grade":"serious"},{"from":"1000000.00","grade":"especially_serious"}]},{"conduct":"tax","bands":[{"from":"50000.00","grade":"dishonest"},{"from":"500000.00","grade":"serious"},{"from":"2500000.00","grade":"especially_serious"}]}],"top_conditions":["bribed_insurance_or_procurement_staff","national_bid_rigging"],"duration_years":3,"repair_default":["stop_conduct","compliance_report","public_apology"],"repair":[{"conduct":"bribery","measures":["stop_conduct","discipline_staff","public_apology","compliance_report","remove_inflated_price","return_gains"]},{"conduct":"unfair_pricing","measures":["stop_conduct","remove_inflated_price","return_gains"]},{"conduct":"breach_of_contract","measures":["stop_conduct","compliance_report"]}],"commitment":{"template_version":"2025-01","grace_date":"2027-03-31"},"supply_failures":{"unshipped_days":7,"min_failures":3}}', 'initial policy', NULL, CURRENT_TIMESTAMP FROM regions;
