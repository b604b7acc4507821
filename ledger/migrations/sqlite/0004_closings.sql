-- Closings (issue 10, hole 3): the bank's signed closing checkpoint, made
-- only after a deep check found every entry of the book whole — the
-- paper's "check before closing". One row per close, in order.
CREATE TABLE ledger_closings (
	seq     INTEGER PRIMARY KEY,
	size    INTEGER NOT NULL CHECK (size >= 0),
	closed  INTEGER NOT NULL,
	closing BLOB NOT NULL
) STRICT;
