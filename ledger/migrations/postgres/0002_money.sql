-- Money that cannot overflow (issue 9, hole 8): the opening balance, the
-- book's one money column (amounts and balances live in the signed entry
-- encodings), is at most 2^53 − 1 (money.MaxBalance). A book holding an
-- opening out of range fails this step and the node does not start.
ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_opening_range
	CHECK (opening BETWEEN 0 AND 9007199254740991);
