CREATE TABLE ledger_accounts (
	name     TEXT PRIMARY KEY,
	template BYTEA NOT NULL,
	opening  BIGINT NOT NULL CHECK (opening >= 0),
	opened   BIGINT NOT NULL
);
CREATE TABLE ledger_batches (
	id   BIGINT PRIMARY KEY,
	beta BYTEA NOT NULL
);
CREATE TABLE ledger_entries (
	idx   BIGINT PRIMARY KEY,
	payer TEXT NOT NULL,
	payee TEXT NOT NULL,
	mtime BIGINT NOT NULL,
	entry BYTEA NOT NULL,
	money BYTEA NOT NULL
);
CREATE UNIQUE INDEX ledger_entries_money ON ledger_entries (payer, mtime);
CREATE INDEX ledger_entries_payer ON ledger_entries (payer, idx);
CREATE INDEX ledger_entries_payee ON ledger_entries (payee, idx);
CREATE TABLE ledger_chain_blocks (
	block BIGINT PRIMARY KEY,
	data  BYTEA NOT NULL
);
CREATE TABLE ledger_nodes (
	level BIGINT NOT NULL,
	idx   BIGINT NOT NULL,
	hash  BYTEA NOT NULL,
	PRIMARY KEY (level, idx)
);
CREATE TABLE ledger_checkpoints (
	size BIGINT PRIMARY KEY,
	cp   BYTEA NOT NULL
);
