-- Replay protection that survives a lost row (issue 10, hole 2): the
-- moneys booked, keyed by their identity (payer, time), with the index of
-- the entry that booked each. The booking transaction writes it beside the
-- entries, and the replay check reads it alone, so a lost entry row never
-- lets its money be booked again. A book made before this step gets the
-- table filled from its entries (a row already lost is not known here:
-- Recover puts it back with its entry).
CREATE TABLE ledger_moneys (
	payer TEXT NOT NULL,
	mtime INTEGER NOT NULL,
	idx   INTEGER NOT NULL CHECK (idx >= 0),
	PRIMARY KEY (payer, mtime)
) STRICT, WITHOUT ROWID;
INSERT INTO ledger_moneys (payer, mtime, idx) SELECT payer, mtime, idx FROM ledger_entries;
