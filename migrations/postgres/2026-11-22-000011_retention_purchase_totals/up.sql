-- What the accepted lines count for in surplus retention, kept as acceptances are confirmed (a
-- confirmed acceptance is immutable), so a retention run reads one total per agreed volume and
-- the few purchases outside a volume instead of summing the year's accepted lines:
-- * agreed_volumes.accepted_qty: the accepted quantity of the volume's winning lines accepted
--   within the volume's dates;
-- * off_volume_purchases: every other accepted line (non-winning, winning without a volume, or
--   accepted outside its volume's dates), with its date and price.
ALTER TABLE agreed_volumes ADD COLUMN accepted_qty BIGINT NOT NULL DEFAULT 0 CHECK (accepted_qty >= 0);

CREATE TABLE off_volume_purchases (
    delivery_line_id TEXT PRIMARY KEY REFERENCES delivery_lines (id),
    region_id TEXT NOT NULL REFERENCES regions (id),
    hospital_id TEXT NOT NULL REFERENCES organizations (id),
    generic_name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('winning', 'non_winning')),
    agreed_volume_id TEXT REFERENCES agreed_volumes (id),
    unit_price BIGINT NOT NULL CHECK (unit_price > 0),
    acceptance_date DATE NOT NULL,
    qty BIGINT NOT NULL CHECK (qty > 0)
);
CREATE INDEX off_volume_purchases_hospital ON off_volume_purchases (region_id, hospital_id, acceptance_date);
CREATE TRIGGER off_volume_purchases_immutable BEFORE UPDATE OR DELETE ON off_volume_purchases
FOR EACH ROW EXECUTE FUNCTION jicai_refuse_change('a confirmed acceptance is immutable');

-- The acceptances confirmed so far.
UPDATE agreed_volumes SET accepted_qty = s.qty
FROM (SELECT ol.agreed_volume_id AS id, SUM(dl.accepted_qty) AS qty
      FROM delivery_lines dl
      JOIN acceptances a ON a.delivery_id = dl.delivery_id
      JOIN order_lines ol ON ol.id = dl.order_line_id
      JOIN agreed_volumes v ON v.id = ol.agreed_volume_id
      WHERE a.status = 'confirmed' AND ol.kind = 'winning'
        AND a.acceptance_date >= v.year_start AND a.acceptance_date <= v.year_end
      GROUP BY ol.agreed_volume_id) s
WHERE agreed_volumes.id = s.id;

INSERT INTO off_volume_purchases (delivery_line_id, region_id, hospital_id, generic_name, kind, agreed_volume_id, unit_price, acceptance_date, qty)
SELECT dl.id, d.region_id, d.hospital_id, p.generic_name, ol.kind, ol.agreed_volume_id, ol.unit_price, a.acceptance_date, dl.accepted_qty
FROM delivery_lines dl
JOIN deliveries d ON d.id = dl.delivery_id
JOIN acceptances a ON a.delivery_id = d.id
JOIN order_lines ol ON ol.id = dl.order_line_id
JOIN products p ON p.id = ol.product_id
LEFT JOIN agreed_volumes v ON v.id = ol.agreed_volume_id
WHERE a.status = 'confirmed' AND dl.accepted_qty > 0
  AND NOT (ol.kind = 'winning' AND v.id IS NOT NULL
           AND a.acceptance_date >= v.year_start AND a.acceptance_date <= v.year_end);
