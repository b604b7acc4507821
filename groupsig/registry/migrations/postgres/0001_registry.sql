CREATE TABLE gs_groups (
	name       TEXT PRIMARY KEY,
	epoch      BIGINT NOT NULL,
	created_at BIGINT NOT NULL
);
CREATE TABLE gs_epochs (
	group_name TEXT NOT NULL REFERENCES gs_groups (name),
	epoch      BIGINT NOT NULL,
	public_key BYTEA NOT NULL,
	PRIMARY KEY (group_name, epoch)
);
CREATE TABLE gs_members (
	group_name    TEXT NOT NULL REFERENCES gs_groups (name),
	id            TEXT NOT NULL,
	seq           BIGINT NOT NULL,
	secret        BYTEA NOT NULL,
	tag           BYTEA NOT NULL,
	epoch         BIGINT NOT NULL,
	status        TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
	joined_at     BIGINT NOT NULL,
	revoked_epoch BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (group_name, id),
	UNIQUE (group_name, seq)
);
CREATE TABLE gs_tags (
	group_name TEXT NOT NULL,
	tag        BYTEA NOT NULL,
	member_id  TEXT NOT NULL,
	epoch      BIGINT NOT NULL,
	PRIMARY KEY (group_name, tag),
	FOREIGN KEY (group_name, member_id) REFERENCES gs_members (group_name, id)
);
CREATE TABLE gs_revocations (
	group_name TEXT NOT NULL REFERENCES gs_groups (name),
	epoch      BIGINT NOT NULL,
	member_id  TEXT NOT NULL,
	update_enc BYTEA NOT NULL,
	revoked_at BIGINT NOT NULL,
	PRIMARY KEY (group_name, epoch)
);
