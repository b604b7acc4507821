-- The issuance log: every certificate the issuing CA signed. The serial
-- number (lowercase hex) is the primary key: no serial is ever issued twice,
-- across restarts too.
CREATE TABLE ca_certificates (
	serial     TEXT PRIMARY KEY,
	subject    TEXT NOT NULL,
	issued_at  BIGINT NOT NULL,
	not_after  BIGINT NOT NULL,
	der        BYTEA NOT NULL
);

-- Revocations: at most one per certificate, of a certificate we issued.
CREATE TABLE ca_revocations (
	serial     TEXT PRIMARY KEY REFERENCES ca_certificates (serial),
	reason     INTEGER NOT NULL,
	revoked_at BIGINT NOT NULL
);

-- The last CRL number used (RFC 5280 §5.2.3: monotonically increasing).
CREATE TABLE ca_crl_number (
	id     INTEGER PRIMARY KEY CHECK (id = 1),
	number BIGINT NOT NULL
);
INSERT INTO ca_crl_number (id, number) VALUES (1, 0);
