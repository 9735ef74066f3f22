DROP INDEX payables_not_yet_overdue;
