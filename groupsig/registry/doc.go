// Package registry is the group manager's side of package groupsig: the
// issuer, who admits and revokes members, the opener, who names signers,
// and the registry they share, which must survive restarts.
//
// Roles:
//
//	Issuer  (secret γ)        Join(id) → member key; Revoke(id) → update
//	Opener  (secret ξ1, ξ2)   Open(msg, σ) → member
//	Store                     groups, public key per epoch, members (sealed x,
//	                          tag per epoch), revocation updates
//
// Join draws x, computes A, seals x (AES-256-GCM under a key derived from γ,
// bound to group and member id) and records the member with its tag A.
// Revoke moves the group to the next epoch (BBS04 §7) and, in the same
// transaction, records the update, the new public key and every remaining
// member's new tag, so the opener can name signers of every epoch.
// Members and verifiers catch up with Updates.
//
// The Store interface is small and documented method by method; SQLStore
// implements it on SQLite (embedded default) and PostgreSQL, and one test
// suite (store_test.go) runs against both.
//
// Errors: ErrNotFound, ErrGroupExists, ErrMemberExists, ErrEpochConflict
// (a concurrent revocation or join moved the group; retry), ErrNotActive
// (the member is revoked). Open passes groupsig's verification errors on.
package registry
