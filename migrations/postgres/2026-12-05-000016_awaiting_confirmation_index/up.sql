-- The settlement sweep deems confirmed the payables whose hospital let the confirmation window
-- lapse: those awaiting confirmation with a deadline before the day. Through the index of
-- (region, stage) it read every payable awaiting confirmation to test its deadline (a
-- province's 53,000, 50 ms of a day's job, to find none); indexed by deadline, it reads the
-- lapsed ones. The predicate is written as the sweep's query writes it
-- (settlement::stage::AWAITING_CONFIRMATION_SQL).
CREATE INDEX payables_awaiting_confirmation ON payables (region_id, confirm_deadline) WHERE stage = 'awaiting_hospital_confirmation';
