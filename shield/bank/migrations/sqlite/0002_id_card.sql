-- The holder's resident ID number (GB 11643, 18 characters), which the
-- CA writes into the certificate. Accounts opened before this migration
-- have none (''): they cannot enroll until the operator records one.
ALTER TABLE bank_accounts ADD COLUMN id_card TEXT NOT NULL DEFAULT '';
