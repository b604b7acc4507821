CREATE TABLE ecash_accounts (
	bank    TEXT NOT NULL,
	id      TEXT NOT NULL,
	owner   TEXT NOT NULL,
	pubkey  BYTEA NOT NULL,
	balance BIGINT NOT NULL CHECK (balance >= 0),
	PRIMARY KEY (bank, id)
);
CREATE TABLE ecash_withdrawals (
	request_id   BYTEA PRIMARY KEY,
	request_hash BYTEA NOT NULL,
	bank         TEXT NOT NULL,
	account      TEXT NOT NULL,
	amount       BIGINT NOT NULL,
	epoch        BIGINT NOT NULL,
	bank_sig     BYTEA NOT NULL,
	response     BYTEA NOT NULL,
	at           BIGINT NOT NULL
);
CREATE TABLE ecash_issued (
	blinded_hash BYTEA PRIMARY KEY,
	request_id   BYTEA NOT NULL REFERENCES ecash_withdrawals (request_id),
	idx          BIGINT NOT NULL,
	denom        BIGINT NOT NULL,
	epoch        BIGINT NOT NULL,
	blinded      BYTEA NOT NULL,
	blind_sig    BYTEA NOT NULL
);
CREATE TABLE ecash_float (
	id     BIGINT PRIMARY KEY CHECK (id = 1),
	amount BIGINT NOT NULL CHECK (amount >= 0)
);
INSERT INTO ecash_float (id, amount) VALUES (1, 0);
CREATE TABLE ecash_positions (
	bank   TEXT PRIMARY KEY,
	amount BIGINT NOT NULL
);
CREATE TABLE ecash_deposits (
	request_id   BYTEA PRIMARY KEY,
	request_hash BYTEA NOT NULL,
	bank         TEXT NOT NULL,
	account      TEXT NOT NULL,
	amount       BIGINT NOT NULL,
	payment      BYTEA NOT NULL,
	at           BIGINT NOT NULL
);
CREATE TABLE ecash_spent_epochs (
	epoch   BIGINT PRIMARY KEY,
	dropped BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE ecash_double_spends (
	id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	epoch          BIGINT NOT NULL,
	serial         BYTEA NOT NULL,
	first_deposit  BYTEA NOT NULL,
	second_payment BYTEA NOT NULL,
	second_bank    TEXT NOT NULL,
	at             BIGINT NOT NULL
);
CREATE TABLE ecash_module_keys (
	epoch  BIGINT NOT NULL,
	denom  BIGINT NOT NULL,
	sealed BYTEA NOT NULL,
	PRIMARY KEY (epoch, denom)
);
CREATE TABLE ecash_users (
	identity      TEXT PRIMARY KEY,
	aik           BYTEA NOT NULL,
	registered_at BIGINT NOT NULL
);
