CREATE TABLE trust_services (
	id         TEXT PRIMARY KEY,
	key        BYTEA NOT NULL,
	created_at BIGINT NOT NULL
);
CREATE TABLE trust_users (
	id         TEXT PRIMARY KEY,
	client_key BYTEA NOT NULL,
	revoked    INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1)),
	state      BYTEA NOT NULL,
	t          DOUBLE PRECISION NOT NULL,
	tier       INTEGER NOT NULL,
	member     TEXT NOT NULL,
	generation BIGINT NOT NULL,
	version    BIGINT NOT NULL,
	created_at BIGINT NOT NULL
);
CREATE TABLE trust_memberships (
	tier    INTEGER NOT NULL,
	member  TEXT NOT NULL,
	user_id TEXT NOT NULL REFERENCES trust_users (id),
	status  TEXT NOT NULL CHECK (status IN ('pending', 'active', 'leaving', 'left')),
	PRIMARY KEY (tier, member)
);
CREATE INDEX trust_memberships_user ON trust_memberships (user_id);
CREATE INDEX trust_memberships_unsettled ON trust_memberships (status) WHERE status IN ('pending', 'leaving');
CREATE TABLE trust_feedback (
	service     TEXT NOT NULL REFERENCES trust_services (id),
	txn         BYTEA NOT NULL,
	user_id     TEXT NOT NULL REFERENCES trust_users (id),
	tc          DOUBLE PRECISION NOT NULL,
	t_after     DOUBLE PRECISION NOT NULL,
	digest      BYTEA NOT NULL,
	at          BIGINT NOT NULL,
	PRIMARY KEY (service, txn)
);
