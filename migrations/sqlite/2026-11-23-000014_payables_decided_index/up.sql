-- Retention's on-time confirmation component counts, per hospital, the payables invoiced in
-- the agreement year whose confirmation is decided, and those confirmed explicitly by their
-- deadline. This partial index holds every column that count reads, so it is answered from
-- the index alone. Payables enter it when they are confirmed, not when they are created.
CREATE INDEX payables_decided ON payables (region_id, invoiced_on, hospital_id, confirmation, confirmed_on, confirm_deadline)
    WHERE confirmed_on IS NOT NULL;
