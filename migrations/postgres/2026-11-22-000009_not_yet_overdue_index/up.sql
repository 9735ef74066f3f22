-- The deadline watch marks the payables that fell due since its last run. Those are the
-- unsettled ones not yet marked overdue: a few days of payables at any time, while the
-- unsettled ones past due (the overdue backlog, waiting on a supplier's invoice for months)
-- grow all year. Indexed apart, the day's work does not read the backlog. The predicate is
-- written as the watch's query writes it (settlement::stage::UNSETTLED_SQL).
CREATE INDEX payables_not_yet_overdue ON payables (region_id, due_date) WHERE overdue_since IS NULL AND stage IN ('awaiting_invoice', 'awaiting_hospital_confirmation', 'confirmed', 'disputed', 'in_batch', 'approved');
