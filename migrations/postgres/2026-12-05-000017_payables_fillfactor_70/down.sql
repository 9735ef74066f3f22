ALTER TABLE payables SET (fillfactor = 85);
