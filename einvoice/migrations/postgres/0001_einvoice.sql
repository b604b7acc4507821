-- The system: registrations (keyed tags only), replay cache, invoices, sessions.
CREATE TABLE einv_buyers (
	tag        BYTEA PRIMARY KEY,
	current_id BYTEA NOT NULL,
	pending_id BYTEA
);
CREATE TABLE einv_sellers (
	tag      BYTEA PRIMARY KEY,
	sid      TEXT NOT NULL,
	endpoint TEXT NOT NULL
);
CREATE TABLE einv_replay (
	scope   TEXT NOT NULL,
	tag     BYTEA NOT NULL,
	expires BIGINT NOT NULL,
	PRIMARY KEY (scope, tag)
);
CREATE INDEX einv_replay_expires ON einv_replay (expires);
CREATE TABLE einv_invoices (
	number     TEXT PRIMARY KEY,
	seller_sid TEXT NOT NULL,
	order_no   TEXT NOT NULL,
	buyer_tag  BYTEA NOT NULL,
	signed     BYTEA NOT NULL,
	state      BIGINT NOT NULL CHECK (state IN (1, 2, 3)),
	created    BIGINT NOT NULL,
	UNIQUE (seller_sid, order_no)
);
CREATE INDEX einv_invoices_state ON einv_invoices (state);
CREATE TABLE einv_sessions (
	sid         BYTEA PRIMARY KEY,
	number      TEXT NOT NULL REFERENCES einv_invoices (number),
	confirm_mac BYTEA NOT NULL,
	confirmed   BIGINT NOT NULL DEFAULT 0,
	created     BIGINT NOT NULL
);
-- A seller: its order book.
CREATE TABLE einv_orders (
	seller_sid TEXT NOT NULL,
	order_no   TEXT NOT NULL,
	deal       BYTEA NOT NULL,
	invoice_no TEXT,
	PRIMARY KEY (seller_sid, order_no)
);
