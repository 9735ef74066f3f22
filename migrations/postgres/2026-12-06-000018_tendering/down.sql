DELETE FROM region_policies WHERE kind = 'tender';
DROP TABLE tender_objections;
DROP TABLE tender_picks;
DROP TABLE tender_bids;
DROP TABLE tender_qualifications;
DROP TABLE tender_demands;
DROP TABLE tender_generics;
DROP TABLE tender_regions;
DROP TABLE tenders;
