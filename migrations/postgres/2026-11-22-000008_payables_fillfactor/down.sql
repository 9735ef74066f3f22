ALTER TABLE payables RESET (fillfactor);
