CREATE TABLE ledger_backup (
	first BIGINT PRIMARY KEY,
	last  BIGINT NOT NULL,
	data  BYTEA NOT NULL
);
