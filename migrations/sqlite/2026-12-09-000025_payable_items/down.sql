ALTER TABLE payables DROP COLUMN items;
