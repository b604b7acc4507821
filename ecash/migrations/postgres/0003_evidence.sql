-- Evidence kept once (issue 9, hole 7): a double spend is keyed by the
-- coin's serial and the SHA-256 of the refused transcript, so a replay of
-- a refused deposit adds no row. The digest of rows kept before this step
-- is filled in (and their repeats dropped) by the store when it opens, in
-- Go, as on SQLite (which has no SHA-256 in SQL). NULL digests do not
-- collide in the index.
ALTER TABLE ecash_double_spends ADD COLUMN transcript_digest BYTEA;
CREATE UNIQUE INDEX ecash_double_spends_once ON ecash_double_spends (serial, transcript_digest);
