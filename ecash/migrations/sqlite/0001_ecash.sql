CREATE TABLE ecash_accounts (
	bank    TEXT NOT NULL,
	id      TEXT NOT NULL,
	owner   TEXT NOT NULL,
	pubkey  BLOB NOT NULL,
	balance INTEGER NOT NULL CHECK (balance >= 0),
	PRIMARY KEY (bank, id)
);
CREATE TABLE ecash_withdrawals (
	request_id   BLOB PRIMARY KEY,
	request_hash BLOB NOT NULL,
	bank         TEXT NOT NULL,
	account      TEXT NOT NULL,
	amount       INTEGER NOT NULL,
	epoch        INTEGER NOT NULL,
	bank_sig     BLOB NOT NULL,
	response     BLOB NOT NULL,
	at           INTEGER NOT NULL
);
CREATE TABLE ecash_issued (
	blinded_hash BLOB PRIMARY KEY,
	request_id   BLOB NOT NULL REFERENCES ecash_withdrawals (request_id),
	idx          INTEGER NOT NULL,
	denom        INTEGER NOT NULL,
	epoch        INTEGER NOT NULL,
	blinded      BLOB NOT NULL,
	blind_sig    BLOB NOT NULL
);
CREATE TABLE ecash_float (
	id     INTEGER PRIMARY KEY CHECK (id = 1),
	amount INTEGER NOT NULL CHECK (amount >= 0)
);
INSERT INTO ecash_float (id, amount) VALUES (1, 0);
CREATE TABLE ecash_positions (
	bank   TEXT PRIMARY KEY,
	amount INTEGER NOT NULL
);
CREATE TABLE ecash_deposits (
	request_id   BLOB PRIMARY KEY,
	request_hash BLOB NOT NULL,
	bank         TEXT NOT NULL,
	account      TEXT NOT NULL,
	amount       INTEGER NOT NULL,
	payment      BLOB NOT NULL,
	at           INTEGER NOT NULL
);
CREATE TABLE ecash_spent_epochs (
	epoch   INTEGER PRIMARY KEY,
	dropped INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE ecash_double_spends (
	id             INTEGER PRIMARY KEY AUTOINCREMENT,
	epoch          INTEGER NOT NULL,
	serial         BLOB NOT NULL,
	first_deposit  BLOB NOT NULL,
	second_payment BLOB NOT NULL,
	second_bank    TEXT NOT NULL,
	at             INTEGER NOT NULL
);
CREATE TABLE ecash_module_keys (
	epoch  INTEGER NOT NULL,
	denom  INTEGER NOT NULL,
	sealed BLOB NOT NULL,
	PRIMARY KEY (epoch, denom)
);
CREATE TABLE ecash_users (
	identity      TEXT PRIMARY KEY,
	aik           BLOB NOT NULL,
	registered_at INTEGER NOT NULL
);
