DROP TRIGGER retention_results_immutable ON retention_results;
DROP TRIGGER retention_lines_immutable ON retention_lines;
DELETE FROM region_policies WHERE kind IN ('retention', 'monitoring');
DROP TABLE monitoring_warnings;
DROP TABLE retention_results;
DROP TABLE retention_lines;
DROP TABLE retention_runs;
DROP TABLE retention_inputs;
