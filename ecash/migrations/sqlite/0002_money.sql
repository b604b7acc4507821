-- Money that cannot overflow (issue 9, hole 8): the money tables become
-- STRICT (an INTEGER column can never hold a REAL, as a balance pushed
-- past 2^63 once did) with CHECK constraints for the limits of package
-- trustbank/internal/money:
--   balance       0 … 2^53 − 1   (MaxBalance)
--   paid_in       0 … 2^62       (MaxSupply: the sum of opening balances)
--   float amount  0 … paid_in    (balances + float = paid in)
--   position      ±2^62          (MaxPosition)
-- SQLite adds neither STRICT nor CHECK to a table in place, so each table
-- is rebuilt: created anew, its rows copied, the old one dropped. A
-- database holding a value out of range (a REAL balance, or a balance above
-- 2^53 − 1) fails this step and the node does not start: no value could be
-- copied without guessing the true balance; repair that account by hand.
CREATE TABLE ecash_accounts_v2 (
	bank    TEXT NOT NULL,
	id      TEXT NOT NULL,
	owner   TEXT NOT NULL,
	pubkey  BLOB NOT NULL,
	balance INTEGER NOT NULL CHECK (balance BETWEEN 0 AND 9007199254740991),
	PRIMARY KEY (bank, id)
) STRICT;
INSERT INTO ecash_accounts_v2 (bank, id, owner, pubkey, balance)
	SELECT bank, id, owner, pubkey, balance FROM ecash_accounts;
DROP TABLE ecash_accounts;
ALTER TABLE ecash_accounts_v2 RENAME TO ecash_accounts;

CREATE TABLE ecash_float_v2 (
	id      INTEGER PRIMARY KEY CHECK (id = 1),
	amount  INTEGER NOT NULL CHECK (amount >= 0),
	paid_in INTEGER NOT NULL CHECK (paid_in BETWEEN 0 AND 4611686018427387904),
	CHECK (amount <= paid_in)
) STRICT;
-- Until now the money paid in was not kept: it is what the invariant says,
-- balances + float.
INSERT INTO ecash_float_v2 (id, amount, paid_in)
	SELECT id, amount, amount + (SELECT COALESCE(SUM(balance), 0) FROM ecash_accounts) FROM ecash_float;
DROP TABLE ecash_float;
ALTER TABLE ecash_float_v2 RENAME TO ecash_float;

CREATE TABLE ecash_positions_v2 (
	bank   TEXT PRIMARY KEY,
	amount INTEGER NOT NULL CHECK (amount BETWEEN -4611686018427387904 AND 4611686018427387904)
) STRICT;
INSERT INTO ecash_positions_v2 (bank, amount) SELECT bank, amount FROM ecash_positions;
DROP TABLE ecash_positions;
ALTER TABLE ecash_positions_v2 RENAME TO ecash_positions;
