-- A payable is recognised in the fund's journal when it arises: the fund owes the supplier on the
-- hospital's behalf (supplier_payable) and will net the same amount out of the hospital's money
-- (hospital_offset_due). A payment then clears both, a credited dispute reverses its part, and
-- the supplier-payable balance is what the payables list shows as still owed.
ALTER TABLE journal_lines DROP CONSTRAINT journal_lines_account_check;
ALTER TABLE journal_lines ADD CONSTRAINT journal_lines_account_check CHECK (account IN ('fund',
    'hospital_prepayment', 'hospital_settlement', 'hospital_receivable', 'supplier_payable',
    'prepayment_advance', 'medical_expense', 'hospital_offset_due'));

-- Payables that arose before: recognise what is still owed on each, on its acceptance date.
-- (Their earlier payments credited and debited supplier_payable together, which nets to zero.)
INSERT INTO journal_entries (id, region_id, entry_date, kind, memo, source_type, source_id, created_by, created_at)
SELECT id || '-r', region_id, acceptance_date, 'payable_recognised',
       'payable ' || payable_no || ': owed to the supplier on the hospital''s behalf (recognised by migration)',
       'payable', id, NULL, CURRENT_TIMESTAMP
FROM payables WHERE amount - credited_amount - paid_amount > 0;
INSERT INTO journal_lines (id, entry_id, region_id, account, party_id, debit, credit, entry_date)
SELECT id || '-r1', id || '-r', region_id, 'hospital_offset_due', hospital_id,
       amount - credited_amount - paid_amount, 0, acceptance_date
FROM payables WHERE amount - credited_amount - paid_amount > 0;
INSERT INTO journal_lines (id, entry_id, region_id, account, party_id, debit, credit, entry_date)
SELECT id || '-r2', id || '-r', region_id, 'supplier_payable', supplier_id,
       0, amount - credited_amount - paid_amount, acceptance_date
FROM payables WHERE amount - credited_amount - paid_amount > 0;
