CREATE INDEX journal_lines_account ON journal_lines (region_id, account, party_id, entry_date);
DROP INDEX journal_lines_balances;
