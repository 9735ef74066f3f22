-- Overdue payables (unsettled, past due) of one party, by due date: the stage index serves one
-- stage at a time, so an overdue page walked the party's due-date index through its paid rows
-- (city, a distributor: 3.7 ms a page, 3.2 ms its count). Indexes over the unsettled rows alone
-- (a few percent of all) serve both (0.2 ms and 1.7 ms). The predicate is written exactly as
-- the query's (settlement::stage::UNSETTLED_SQL; a unit test compares them).
CREATE INDEX payables_supplier_unsettled_due ON payables (supplier_id, due_date, id) WHERE stage IN ('awaiting_invoice', 'awaiting_hospital_confirmation', 'confirmed', 'disputed', 'in_batch', 'approved');
CREATE INDEX payables_hospital_unsettled_due ON payables (hospital_id, due_date, id) WHERE stage IN ('awaiting_invoice', 'awaiting_hospital_confirmation', 'confirmed', 'disputed', 'in_batch', 'approved');
CREATE INDEX payables_region_unsettled_due ON payables (region_id, due_date, id) WHERE stage IN ('awaiting_invoice', 'awaiting_hospital_confirmation', 'confirmed', 'disputed', 'in_batch', 'approved');
