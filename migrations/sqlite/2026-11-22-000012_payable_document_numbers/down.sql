ALTER TABLE payables DROP COLUMN order_no;
ALTER TABLE payables DROP COLUMN delivery_no;
