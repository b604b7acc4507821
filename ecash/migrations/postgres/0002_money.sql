-- Money that cannot overflow (issue 9, hole 8): CHECK constraints for the
-- limits of package trustbank/internal/money (BIGINT columns never hold a
-- fraction on PostgreSQL, so no rebuild is needed):
--   balance       0 … 2^53 − 1   (MaxBalance)
--   paid_in       0 … 2^62       (MaxSupply: the sum of opening balances)
--   float amount  0 … paid_in    (balances + float = paid in)
--   position      ±2^62          (MaxPosition)
-- A database holding a value out of range fails this step and the node
-- does not start; repair that account by hand.
ALTER TABLE ecash_accounts ADD CONSTRAINT ecash_accounts_balance_range
	CHECK (balance BETWEEN 0 AND 9007199254740991);
-- Until now the money paid in was not kept: it is what the invariant says,
-- balances + float.
ALTER TABLE ecash_float ADD COLUMN paid_in BIGINT NOT NULL DEFAULT 0;
UPDATE ecash_float SET paid_in = amount + (SELECT COALESCE(SUM(balance), 0) FROM ecash_accounts);
ALTER TABLE ecash_float ADD CONSTRAINT ecash_float_range
	CHECK (paid_in BETWEEN 0 AND 4611686018427387904 AND amount <= paid_in);
ALTER TABLE ecash_positions ADD CONSTRAINT ecash_positions_range
	CHECK (amount BETWEEN -4611686018427387904 AND 4611686018427387904);
