-- Closings (issue 10, hole 3): the bank's signed closing checkpoint, made
-- only after a deep check found every entry of the book whole — the
-- paper's "check before closing". One row per close, in order.
CREATE TABLE ledger_closings (
	seq     BIGINT PRIMARY KEY,
	size    BIGINT NOT NULL CHECK (size >= 0),
	closed  BIGINT NOT NULL,
	closing BYTEA NOT NULL
);
