-- Hospital balances (monthly statements, the offset of each direct payment) sum debit and credit
-- of one region's hospital accounts. With the amounts in the index (SQLite has no INCLUDE: they
-- end the key) those sums read the index alone. Replaces journal_lines_account, whose key it
-- begins with.
CREATE INDEX journal_lines_balances ON journal_lines (region_id, account, party_id, entry_date, debit, credit);
DROP INDEX journal_lines_account;
