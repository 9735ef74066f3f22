-- PostgreSQL leaves more room in payables' pages for HOT updates; SQLite has no fillfactor.
SELECT 1;
