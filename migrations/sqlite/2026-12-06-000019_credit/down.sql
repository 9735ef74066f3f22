DELETE FROM region_policies WHERE kind = 'credit';
DROP TABLE commitment_letters;
DROP TABLE credit_repairs;
DROP TABLE credit_case_products;
DROP TABLE credit_case_parties;
DROP TABLE credit_cases;
