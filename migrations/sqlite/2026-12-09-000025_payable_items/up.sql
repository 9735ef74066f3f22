-- A payable keeps the lines its delivery was accepted with (generic name, specification,
-- accepted quantity, unit, pack size, whole packs), as it keeps its order's and delivery's
-- numbers: an accepted delivery never changes, and the payment-status list then reads one row
-- a payable instead of joining delivery lines, order lines and products for every page.
ALTER TABLE payables ADD COLUMN items TEXT NOT NULL DEFAULT '[]';

-- Payables that arose before: their accepted lines, in delivery-line order.
UPDATE payables SET items = COALESCE((
    SELECT json_group_array(json(item)) FROM (
        SELECT json_object(
                   'generic_name', pr.generic_name,
                   'specification', pr.specification,
                   'accepted_qty', COALESCE(dl.accepted_qty, 0),
                   'min_unit', pr.min_unit,
                   'pack_size', pr.pack_size,
                   'packs', CASE WHEN pr.pack_size > 0 AND COALESCE(dl.accepted_qty, 0) % pr.pack_size = 0
                                 THEN COALESCE(dl.accepted_qty, 0) / pr.pack_size END
               ) AS item
        FROM delivery_lines dl
        JOIN order_lines ol ON ol.id = dl.order_line_id
        JOIN products pr ON pr.id = ol.product_id
        WHERE dl.delivery_id = payables.delivery_id
        ORDER BY dl.line_no
    )
), '[]');
