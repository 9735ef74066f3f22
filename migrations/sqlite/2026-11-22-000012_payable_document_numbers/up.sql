-- A payable carries its order's and delivery's numbers (both immutable once issued), so the
-- payment-status list shows them from the payable's own row instead of looking up an order and a
-- delivery for each row of every page.
ALTER TABLE payables ADD COLUMN order_no TEXT NOT NULL DEFAULT '';
ALTER TABLE payables ADD COLUMN delivery_no TEXT NOT NULL DEFAULT '';
UPDATE payables SET
    order_no = (SELECT o.order_no FROM orders o WHERE o.id = payables.order_id),
    delivery_no = (SELECT d.delivery_no FROM deliveries d WHERE d.id = payables.delivery_id);
