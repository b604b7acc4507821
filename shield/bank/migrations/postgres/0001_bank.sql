CREATE TABLE bank_accounts (
	id       TEXT PRIMARY KEY,
	owner    TEXT NOT NULL,
	pw_salt  BYTEA NOT NULL,
	pw_hash  BYTEA NOT NULL,
	balance  BIGINT NOT NULL CHECK (balance >= 0 AND balance <= 9007199254740991),
	cert     BYTEA
);
CREATE TABLE bank_paid_in (
	id    INTEGER PRIMARY KEY CHECK (id = 1),
	total BIGINT NOT NULL CHECK (total >= 0 AND total <= 4611686018427387904)
);
INSERT INTO bank_paid_in (id, total) VALUES (1, 0);
CREATE TABLE bank_auth_codes (
	code_hash BYTEA PRIMARY KEY,
	account   TEXT NOT NULL REFERENCES bank_accounts (id),
	expires   BIGINT NOT NULL,
	used_at   BIGINT
);
CREATE TABLE bank_enrollments (
	id      BYTEA PRIMARY KEY,
	account TEXT NOT NULL REFERENCES bank_accounts (id),
	cert    BYTEA NOT NULL,
	p7      BYTEA NOT NULL,
	state   BIGINT NOT NULL CHECK (state IN (1, 2, 3)),
	at      BIGINT NOT NULL
);
CREATE TABLE bank_challenges (
	id       BYTEA PRIMARY KEY,
	account  TEXT NOT NULL,
	encoding BYTEA NOT NULL,
	expires  BIGINT NOT NULL,
	used_at  BIGINT
);
CREATE TABLE bank_sessions (
	token_hash BYTEA PRIMARY KEY,
	account    TEXT NOT NULL REFERENCES bank_accounts (id),
	level      BIGINT NOT NULL CHECK (level IN (1, 2)),
	expires    BIGINT NOT NULL
);
CREATE TABLE bank_orders (
	id       BYTEA PRIMARY KEY,
	account  TEXT NOT NULL REFERENCES bank_accounts (id),
	encoding BYTEA NOT NULL,
	expires  BIGINT NOT NULL,
	used_at  BIGINT
);
CREATE TABLE bank_transfers (
	id           BYTEA PRIMARY KEY,
	request_hash BYTEA NOT NULL,
	account      TEXT NOT NULL REFERENCES bank_accounts (id),
	payee        TEXT NOT NULL REFERENCES bank_accounts (id),
	amount       BIGINT NOT NULL CHECK (amount > 0 AND amount <= 9007199254740991),
	level        BIGINT NOT NULL CHECK (level IN (1, 2)),
	day          TEXT NOT NULL,
	at           BIGINT NOT NULL,
	receipt      BYTEA NOT NULL
);
CREATE INDEX bank_transfers_day ON bank_transfers (account, day);
CREATE TABLE bank_daily (
	account TEXT NOT NULL REFERENCES bank_accounts (id),
	day     TEXT NOT NULL,
	total   BIGINT NOT NULL CHECK (total >= 0 AND total <= 9007199254740991),
	PRIMARY KEY (account, day)
);
