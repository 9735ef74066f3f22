DROP TABLE off_volume_purchases;
ALTER TABLE agreed_volumes DROP COLUMN accepted_qty;
