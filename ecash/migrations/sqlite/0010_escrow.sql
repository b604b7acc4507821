-- Coin keys are made per user-group epoch too (identity escrow, issue 9).
CREATE TABLE ecash_coin_keys (
	epoch  INTEGER NOT NULL,
	denom  INTEGER NOT NULL,
	users  INTEGER NOT NULL,
	sealed BLOB NOT NULL,
	PRIMARY KEY (epoch, denom, users)
);
INSERT INTO ecash_coin_keys (epoch, denom, users, sealed) SELECT epoch, denom, 0, sealed FROM ecash_module_keys;
DROP TABLE ecash_module_keys;
ALTER TABLE ecash_withdrawals ADD COLUMN users INTEGER NOT NULL DEFAULT 0;
