-- The deadline watch rewrites the delay days and interest of every overdue payable each day, and
-- none of those columns is indexed: with room left in each page the new row version stays on
-- the page (a HOT update) instead of adding an entry to each of the table's 12 indexes. At
-- fillfactor 100 a freshly loaded table had no room: 1,086 of 39,816 updates were HOT.
ALTER TABLE payables SET (fillfactor = 85);
