-- Coin keys are made per user-group epoch too (identity escrow, issue 9).
CREATE TABLE ecash_coin_keys (
	epoch  BIGINT NOT NULL,
	denom  BIGINT NOT NULL,
	users  BIGINT NOT NULL,
	sealed BYTEA NOT NULL,
	PRIMARY KEY (epoch, denom, users)
);
INSERT INTO ecash_coin_keys (epoch, denom, users, sealed) SELECT epoch, denom, 0, sealed FROM ecash_module_keys;
DROP TABLE ecash_module_keys;
ALTER TABLE ecash_withdrawals ADD COLUMN users BIGINT NOT NULL DEFAULT 0;
