-- Scratch copies of the tables one procurement cycle writes (columns, defaults, checks and
-- indexes; no foreign keys or triggers), and 10,000 real (hospital, bid, distributor) plans
-- to draw from, and the distributors for the read floor. The write floor runs against these, so the generated data stay untouched.
DROP TABLE IF EXISTS floor_plan, floor_dist, floor_agreed_volumes, floor_orders, floor_order_lines,
  floor_deliveries, floor_delivery_lines, floor_acceptances,
  floor_payables, floor_audit_events, floor_journal_entries, floor_journal_lines;
CREATE TABLE floor_orders (LIKE orders INCLUDING ALL);
CREATE TABLE floor_order_lines (LIKE order_lines INCLUDING ALL);
CREATE TABLE floor_deliveries (LIKE deliveries INCLUDING ALL);
CREATE TABLE floor_delivery_lines (LIKE delivery_lines INCLUDING ALL);
CREATE TABLE floor_acceptances (LIKE acceptances INCLUDING ALL);
CREATE TABLE floor_payables (LIKE payables INCLUDING ALL);
CREATE TABLE floor_audit_events (LIKE audit_events INCLUDING ALL);
CREATE TABLE floor_journal_entries (LIKE journal_entries INCLUDING ALL);
CREATE TABLE floor_journal_lines (LIKE journal_lines INCLUDING ALL);
CREATE TABLE floor_plan AS
SELECT row_number() OVER (ORDER BY av.id) AS n, av.id AS av_id, av.region_id, av.hospital_id,
       b.id AS bid_id, b.product_id, b.unit_price, bd.enterprise_id AS supplier_id,
       (SELECT u.id FROM users u WHERE u.org_id = av.hospital_id ORDER BY u.id LIMIT 1) AS hospital_user,
       (SELECT u.id FROM users u WHERE u.org_id = bd.enterprise_id ORDER BY u.id LIMIT 1) AS supplier_user,
       (SELECT p.id FROM region_policies p WHERE p.region_id = av.region_id AND p.kind = 'payment_deadline'
         ORDER BY p.effective_from DESC LIMIT 1) AS policy_id
  FROM agreed_volumes av
  JOIN winning_bids b ON b.id = av.bid_id
  JOIN bid_distributors bd ON bd.bid_id = b.id
 ORDER BY av.id
 LIMIT 10000;
ALTER TABLE floor_plan ADD PRIMARY KEY (n);
CREATE TABLE floor_agreed_volumes AS SELECT * FROM agreed_volumes WHERE id IN (SELECT av_id FROM floor_plan);
ALTER TABLE floor_agreed_volumes ADD PRIMARY KEY (id);
CREATE TABLE floor_dist AS
SELECT row_number() OVER (ORDER BY id) AS n, id FROM organizations WHERE is_distributor;
ALTER TABLE floor_dist ADD PRIMARY KEY (n);
ANALYZE floor_plan, floor_agreed_volumes, floor_dist;
