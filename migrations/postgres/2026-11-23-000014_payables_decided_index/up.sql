-- Retention's on-time confirmation component counts, per hospital, the payables invoiced in
-- the agreement year whose confirmation is decided, and those confirmed explicitly by their
-- deadline. This partial covering index answers that by an index-only scan: at province the
-- count read the whole payables table (6.5 GB) when cold; the index holds only the columns
-- the count needs. Payables enter it when they are confirmed, not when they are created.
CREATE INDEX payables_decided ON payables (region_id, invoiced_on)
    INCLUDE (hospital_id, confirmation, confirmed_on, confirm_deadline)
    WHERE confirmed_on IS NOT NULL;
