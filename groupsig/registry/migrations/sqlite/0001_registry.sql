CREATE TABLE gs_groups (
	name       TEXT PRIMARY KEY,
	epoch      INTEGER NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE TABLE gs_epochs (
	group_name TEXT NOT NULL REFERENCES gs_groups (name),
	epoch      INTEGER NOT NULL,
	public_key BLOB NOT NULL,
	PRIMARY KEY (group_name, epoch)
);
CREATE TABLE gs_members (
	group_name    TEXT NOT NULL REFERENCES gs_groups (name),
	id            TEXT NOT NULL,
	seq           INTEGER NOT NULL,
	secret        BLOB NOT NULL,
	tag           BLOB NOT NULL,
	epoch         INTEGER NOT NULL,
	status        TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
	joined_at     INTEGER NOT NULL,
	revoked_epoch INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (group_name, id),
	UNIQUE (group_name, seq)
);
CREATE TABLE gs_tags (
	group_name TEXT NOT NULL,
	tag        BLOB NOT NULL,
	member_id  TEXT NOT NULL,
	epoch      INTEGER NOT NULL,
	PRIMARY KEY (group_name, tag),
	FOREIGN KEY (group_name, member_id) REFERENCES gs_members (group_name, id)
);
CREATE TABLE gs_revocations (
	group_name TEXT NOT NULL REFERENCES gs_groups (name),
	epoch      INTEGER NOT NULL,
	member_id  TEXT NOT NULL,
	update_enc BLOB NOT NULL,
	revoked_at INTEGER NOT NULL,
	PRIMARY KEY (group_name, epoch)
);
