CREATE TABLE ledger_accounts (
	name     TEXT PRIMARY KEY,
	template BLOB NOT NULL,
	opening  INTEGER NOT NULL CHECK (opening >= 0),
	opened   INTEGER NOT NULL
);
CREATE TABLE ledger_batches (
	id   INTEGER PRIMARY KEY,
	beta BLOB NOT NULL
);
CREATE TABLE ledger_entries (
	idx   INTEGER PRIMARY KEY,
	payer TEXT NOT NULL,
	payee TEXT NOT NULL,
	mtime INTEGER NOT NULL,
	entry BLOB NOT NULL,
	money BLOB NOT NULL
);
CREATE UNIQUE INDEX ledger_entries_money ON ledger_entries (payer, mtime);
CREATE INDEX ledger_entries_payer ON ledger_entries (payer, idx);
CREATE INDEX ledger_entries_payee ON ledger_entries (payee, idx);
CREATE TABLE ledger_chain_blocks (
	block INTEGER PRIMARY KEY,
	data  BLOB NOT NULL
);
CREATE TABLE ledger_nodes (
	level INTEGER NOT NULL,
	idx   INTEGER NOT NULL,
	hash  BLOB NOT NULL,
	PRIMARY KEY (level, idx)
) WITHOUT ROWID;
CREATE TABLE ledger_checkpoints (
	size INTEGER PRIMARY KEY,
	cp   BLOB NOT NULL
);
