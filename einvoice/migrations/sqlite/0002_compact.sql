-- Fewer and smaller pages per session (package doc, "Storage").
-- The replay cache is keyed by the message's timestamp first, so inserts
-- land on the newest pages of one B-tree (no random index page each) and
-- pruning drops a prefix. Entries of 0001 kept only their expiry, which
-- was the timestamp plus the default window (120 s) plus 1 s.
CREATE TABLE einv_seen (
	sent  INTEGER NOT NULL,
	scope TEXT NOT NULL,
	tag   BLOB NOT NULL,
	PRIMARY KEY (sent, scope, tag)
) WITHOUT ROWID;
INSERT INTO einv_seen (sent, scope, tag) SELECT expires - 121, scope, tag FROM einv_replay;
DROP TABLE einv_replay;
-- Certificate chains of the invoice signers, stored once, by hash.
CREATE TABLE einv_chains (
	hash  BLOB PRIMARY KEY,
	certs BLOB NOT NULL
) WITHOUT ROWID;
-- An invoice is now stored as its canonical encoding (doc), its signature
-- (sig) and its signer's chain (chain, a hash in einv_chains); signed
-- keeps the JSON of invoices issued before, and is empty for the others.
ALTER TABLE einv_invoices ADD COLUMN doc BLOB;
ALTER TABLE einv_invoices ADD COLUMN sig BLOB;
ALTER TABLE einv_invoices ADD COLUMN chain BLOB;
-- Only confirmed invoices whose notice is not acknowledged are indexed
-- by state (ResendNotices lists them); the other states need no index,
-- so issuing and acknowledging touch no index page for it.
DROP INDEX einv_invoices_state;
CREATE INDEX einv_invoices_unnotified ON einv_invoices (number) WHERE state = 2;
-- Sessions: one B-tree keyed by sid (handles sort by time: inserts land
-- on its newest pages); confirmed is gone (a session is confirmed when
-- its invoice is).
CREATE TABLE einv_sessions_new (
	sid         BLOB PRIMARY KEY,
	number      TEXT NOT NULL REFERENCES einv_invoices (number),
	confirm_mac BLOB NOT NULL,
	created     INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO einv_sessions_new (sid, number, confirm_mac, created) SELECT sid, number, confirm_mac, created FROM einv_sessions;
DROP TABLE einv_sessions;
ALTER TABLE einv_sessions_new RENAME TO einv_sessions;
