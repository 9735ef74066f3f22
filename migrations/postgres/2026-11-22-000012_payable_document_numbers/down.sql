ALTER TABLE payables DROP COLUMN order_no, DROP COLUMN delivery_no;
