DROP INDEX payables_decided;
