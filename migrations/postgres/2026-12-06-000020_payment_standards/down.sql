DELETE FROM region_policies WHERE kind = 'payment_standard';
DROP TABLE payment_standards;
ALTER TABLE products DROP COLUMN consistency;
