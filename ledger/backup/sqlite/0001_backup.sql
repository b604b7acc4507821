CREATE TABLE ledger_backup (
	first INTEGER PRIMARY KEY,
	last  INTEGER NOT NULL,
	data  BLOB NOT NULL
);
