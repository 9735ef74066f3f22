-- The write floor: the rows one procurement cycle must write (order + 3 lines + agreed volume,
-- confirmation, delivery + 3 lines, acceptance + payable + its journal entry, and an audit event per
-- change, the order's status changes among them: they are its status history), as four durable transactions (four users' actions), one statement each and no
-- lookups but the plan. What PostgreSQL does for the cycle with no server, no HTTP, no checks.
\set p random(1, :nplans)
BEGIN;
SELECT av_id, region_id, hospital_id, bid_id, product_id, unit_price, supplier_id, hospital_user,
       supplier_user, policy_id FROM floor_plan WHERE n = :p \gset
WITH o AS (
  INSERT INTO floor_orders (id, order_no, region_id, hospital_id, supplier_id, status, total_amount,
                            created_by, created_at, updated_at)
  VALUES (gen_random_uuid()::text, 'F' || gen_random_uuid()::text, :region_id, :hospital_id, :supplier_id,
          'submitted', 3 * (10 * :unit_price::bigint / 100), :hospital_user, now(), now())
  RETURNING id),
l AS (
  INSERT INTO floor_order_lines (id, order_id, line_no, kind, bid_id, product_id, agreed_volume_id,
                                 unit_price, quantity, in_volume_qty, above_volume_qty, amount)
  SELECT gen_random_uuid()::text, o.id, g, 'winning', :bid_id, :product_id, :av_id, :unit_price::bigint,
         10, 10, 0, 10 * :unit_price::bigint / 100
    FROM o, generate_series(1, 3) g),
v AS (UPDATE floor_agreed_volumes SET ordered_qty = coalesce(ordered_qty, 0) + 30 WHERE id = :av_id),
a AS (
  INSERT INTO floor_audit_events (id, occurred_at, region_id, actor_user_id, actor_org_id, entity_type,
                                  entity_id, action, before_json, after_json, prev_hash, hash)
  SELECT gen_random_uuid()::text, now(), :region_id, :hospital_user, :hospital_id, 'order', o.id, 'create',
         NULL, '{"status":"submitted","lines":3}', NULL, md5(o.id) FROM o)
SELECT id AS oid FROM o \gset
COMMIT;
BEGIN;
WITH u AS (
  UPDATE floor_orders SET status = 'confirmed', updated_at = now() WHERE id = :oid RETURNING id)
INSERT INTO floor_audit_events (id, occurred_at, region_id, actor_user_id, actor_org_id, entity_type,
                                entity_id, action, before_json, after_json, prev_hash, hash)
SELECT gen_random_uuid()::text, now(), :region_id, :supplier_user, :supplier_id, 'order', u.id, 'confirm',
       '{"status":"submitted"}', '{"status":"confirmed"}', md5(u.id), md5(u.id || 'c') FROM u;
COMMIT;
BEGIN;
WITH d AS (
  INSERT INTO floor_deliveries (id, delivery_no, order_id, region_id, hospital_id, supplier_id, status,
                                shipped_at, created_by)
  VALUES (gen_random_uuid()::text, 'F' || gen_random_uuid()::text, :oid, :region_id, :hospital_id,
          :supplier_id, 'shipped', now(), :supplier_user)
  RETURNING id),
dl AS (
  INSERT INTO floor_delivery_lines (id, delivery_id, order_line_id, line_no, quantity, lot_no,
                                    production_date, expiry_date)
  SELECT gen_random_uuid()::text, d.id, ol.id, ol.line_no, ol.quantity, 'LOT', DATE '2026-06-01', DATE '2028-06-01'
    FROM d, floor_order_lines ol WHERE ol.order_id = :oid),
u AS (UPDATE floor_orders SET status = 'shipped', updated_at = now() WHERE id = :oid RETURNING id),
a AS (
  INSERT INTO floor_audit_events (id, occurred_at, region_id, actor_user_id, actor_org_id, entity_type,
                                  entity_id, action, before_json, after_json, prev_hash, hash)
  SELECT gen_random_uuid()::text, now(), :region_id, :supplier_user, :supplier_id, 'delivery', d.id, 'ship',
         NULL, '{"status":"shipped","lines":3}', NULL, md5(d.id) FROM d
  UNION ALL
  SELECT gen_random_uuid()::text, now(), :region_id, :supplier_user, :supplier_id, 'order', u.id, 'status_change',
         '{"status":"confirmed"}', '{"status":"shipped"}', md5(u.id || 'c'), md5(u.id || 's') FROM u)
SELECT id AS did FROM d \gset
COMMIT;
BEGIN;
WITH dl AS (
  UPDATE floor_delivery_lines SET accepted_qty = quantity, rejected_qty = 0 WHERE delivery_id = :did
  RETURNING order_line_id, accepted_qty),
ol AS (
  UPDATE floor_order_lines l SET accepted_qty = dl.accepted_qty FROM dl WHERE l.id = dl.order_line_id
  RETURNING l.amount),
ac AS (
  INSERT INTO floor_acceptances (id, delivery_id, status, received_by, delivered_by, accepted_at,
                                 acceptance_date, created_by, created_at, confirmed_by)
  VALUES (gen_random_uuid()::text, :did, 'confirmed', 'floor', 'floor', now(), current_date, :hospital_user,
          now(), :hospital_user)
  RETURNING id),
p AS (
  INSERT INTO floor_payables (id, payable_no, acceptance_id, delivery_id, order_id, region_id, hospital_id,
                              supplier_id, amount, acceptance_date, due_date, deadline_policy_id, created_at,
                              order_no, delivery_no)
  SELECT gen_random_uuid()::text, 'F' || gen_random_uuid()::text, ac.id, :did, :oid, :region_id, :hospital_id,
         :supplier_id, (SELECT sum(amount) FROM ol), current_date, current_date + 30, :policy_id, now(),
         'F-order-no', 'F-delivery-no'
    FROM ac
  RETURNING id, amount),
je AS (
  INSERT INTO floor_journal_entries (id, region_id, entry_date, kind, memo, source_type, source_id, created_by,
                                     created_at)
  SELECT gen_random_uuid()::text, :region_id, current_date, 'payable_recognised', 'floor', 'payable', p.id,
         :hospital_user, now()
    FROM p
  RETURNING id),
jl AS (
  INSERT INTO floor_journal_lines (id, entry_id, region_id, account, party_id, debit, credit, entry_date)
  SELECT gen_random_uuid()::text, je.id, :region_id, x.account, x.party, x.debit, x.credit, current_date
    FROM je, p, LATERAL (VALUES ('hospital_offset_due', :hospital_id, p.amount, 0::bigint),
                                ('supplier_payable', :supplier_id, 0::bigint, p.amount)) x (account, party, debit, credit)),
d AS (UPDATE floor_deliveries SET status = 'accepted' WHERE id = :did),
o AS (UPDATE floor_orders SET status = 'completed', updated_at = now() WHERE id = :oid RETURNING id)
INSERT INTO floor_audit_events (id, occurred_at, region_id, actor_user_id, actor_org_id, entity_type,
                                entity_id, action, before_json, after_json, prev_hash, hash)
SELECT gen_random_uuid()::text, now(), :region_id, :hospital_user, :hospital_id, t, i, a, NULL, '{}', NULL, md5(i || a)
  FROM (SELECT 'acceptance' AS t, id AS i, 'create' AS a FROM ac UNION ALL SELECT 'payable', id, 'create' FROM p
        UNION ALL SELECT 'order', id, 'status_change' FROM o) x;
COMMIT;
