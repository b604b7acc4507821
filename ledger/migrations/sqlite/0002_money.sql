-- Money that cannot overflow (issue 9, hole 8): the opening balance, the
-- book's one money column (amounts and balances live in the signed entry
-- encodings), is at most 2^53 − 1 (money.MaxBalance), in a STRICT table
-- that never holds a REAL. SQLite adds neither to a table in place: the
-- table is rebuilt and its rows copied. A book holding an opening out of
-- range fails this step and the node does not start.
CREATE TABLE ledger_accounts_v2 (
	name     TEXT PRIMARY KEY,
	template BLOB NOT NULL,
	opening  INTEGER NOT NULL CHECK (opening BETWEEN 0 AND 9007199254740991),
	opened   INTEGER NOT NULL
) STRICT;
INSERT INTO ledger_accounts_v2 (name, template, opening, opened)
	SELECT name, template, opening, opened FROM ledger_accounts;
DROP TABLE ledger_accounts;
ALTER TABLE ledger_accounts_v2 RENAME TO ledger_accounts;
