-- A payable carries its order's and delivery's numbers (both immutable once issued), so the
-- payment-status list shows them from the payable's own row instead of looking up an order and a
-- delivery for each row of every page.
ALTER TABLE payables ADD COLUMN order_no TEXT NOT NULL DEFAULT '', ADD COLUMN delivery_no TEXT NOT NULL DEFAULT '';
UPDATE payables p SET order_no = o.order_no, delivery_no = d.delivery_no
FROM orders o, deliveries d
WHERE o.id = p.order_id AND d.id = p.delivery_id;
