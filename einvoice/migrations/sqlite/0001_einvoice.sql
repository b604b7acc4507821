-- The system: registrations (keyed tags only), replay cache, invoices, sessions.
CREATE TABLE einv_buyers (
	tag        BLOB PRIMARY KEY,
	current_id BLOB NOT NULL,
	pending_id BLOB
);
CREATE TABLE einv_sellers (
	tag      BLOB PRIMARY KEY,
	sid      TEXT NOT NULL,
	endpoint TEXT NOT NULL
);
CREATE TABLE einv_replay (
	scope   TEXT NOT NULL,
	tag     BLOB NOT NULL,
	expires INTEGER NOT NULL,
	PRIMARY KEY (scope, tag)
);
CREATE INDEX einv_replay_expires ON einv_replay (expires);
CREATE TABLE einv_invoices (
	number     TEXT PRIMARY KEY,
	seller_sid TEXT NOT NULL,
	order_no   TEXT NOT NULL,
	buyer_tag  BLOB NOT NULL,
	signed     BLOB NOT NULL,
	state      INTEGER NOT NULL CHECK (state IN (1, 2, 3)),
	created    INTEGER NOT NULL,
	UNIQUE (seller_sid, order_no)
);
CREATE INDEX einv_invoices_state ON einv_invoices (state);
CREATE TABLE einv_sessions (
	sid         BLOB PRIMARY KEY,
	number      TEXT NOT NULL REFERENCES einv_invoices (number),
	confirm_mac BLOB NOT NULL,
	confirmed   INTEGER NOT NULL DEFAULT 0,
	created     INTEGER NOT NULL
);
-- A seller: its order book.
CREATE TABLE einv_orders (
	seller_sid TEXT NOT NULL,
	order_no   TEXT NOT NULL,
	deal       BLOB NOT NULL,
	invoice_no TEXT,
	PRIMARY KEY (seller_sid, order_no)
);
