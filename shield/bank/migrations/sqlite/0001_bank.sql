CREATE TABLE bank_accounts (
	id       TEXT PRIMARY KEY,
	owner    TEXT NOT NULL,
	pw_salt  BLOB NOT NULL,
	pw_hash  BLOB NOT NULL,
	balance  INTEGER NOT NULL CHECK (balance >= 0 AND balance <= 9007199254740991),
	cert     BLOB
) STRICT;
CREATE TABLE bank_paid_in (
	id    INTEGER PRIMARY KEY CHECK (id = 1),
	total INTEGER NOT NULL CHECK (total >= 0 AND total <= 4611686018427387904)
) STRICT;
INSERT INTO bank_paid_in (id, total) VALUES (1, 0);
CREATE TABLE bank_auth_codes (
	code_hash BLOB PRIMARY KEY,
	account   TEXT NOT NULL REFERENCES bank_accounts (id),
	expires   INTEGER NOT NULL,
	used_at   INTEGER
) STRICT;
CREATE TABLE bank_enrollments (
	id      BLOB PRIMARY KEY,
	account TEXT NOT NULL REFERENCES bank_accounts (id),
	cert    BLOB NOT NULL,
	p7      BLOB NOT NULL,
	state   INTEGER NOT NULL CHECK (state IN (1, 2, 3)),
	at      INTEGER NOT NULL
) STRICT;
CREATE TABLE bank_challenges (
	id       BLOB PRIMARY KEY,
	account  TEXT NOT NULL,
	encoding BLOB NOT NULL,
	expires  INTEGER NOT NULL,
	used_at  INTEGER
) STRICT;
CREATE TABLE bank_sessions (
	token_hash BLOB PRIMARY KEY,
	account    TEXT NOT NULL REFERENCES bank_accounts (id),
	level      INTEGER NOT NULL CHECK (level IN (1, 2)),
	expires    INTEGER NOT NULL
) STRICT;
CREATE TABLE bank_orders (
	id       BLOB PRIMARY KEY,
	account  TEXT NOT NULL REFERENCES bank_accounts (id),
	encoding BLOB NOT NULL,
	expires  INTEGER NOT NULL,
	used_at  INTEGER
) STRICT;
CREATE TABLE bank_transfers (
	id           BLOB PRIMARY KEY,
	request_hash BLOB NOT NULL,
	account      TEXT NOT NULL REFERENCES bank_accounts (id),
	payee        TEXT NOT NULL REFERENCES bank_accounts (id),
	amount       INTEGER NOT NULL CHECK (amount > 0 AND amount <= 9007199254740991),
	level        INTEGER NOT NULL CHECK (level IN (1, 2)),
	day          TEXT NOT NULL,
	at           INTEGER NOT NULL,
	receipt      BLOB NOT NULL
) STRICT;
CREATE INDEX bank_transfers_day ON bank_transfers (account, day);
CREATE TABLE bank_daily (
	account TEXT NOT NULL REFERENCES bank_accounts (id),
	day     TEXT NOT NULL,
	total   INTEGER NOT NULL CHECK (total >= 0 AND total <= 9007199254740991),
	PRIMARY KEY (account, day)
) STRICT;
