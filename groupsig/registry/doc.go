// Package registry is the group manager's side of package groupsig: the
// issuer, who admits and revokes members, the opener, who names signers,
// and the registry they share, which must survive restarts.
//
// Roles:
//
//	Issuer  (secret γ)          Join(id) → member key; Revoke(id) → update
//	Opener  (secrets ξ1, ξ2, γ) Open(msg, σ) → member
//	Store                       groups, public key per epoch, members (sealed
//	                            x, base tag, join epoch), revocation updates
//
// Join draws x, computes A at the current epoch for the member, seals x
// (AES-256-GCM under a key derived from γ, bound to group and member id)
// and records the member with its base tag: its A under the epoch-0 key,
// g1_0^(1/(γ+x)), whatever the epoch it joins at. Revoke moves the group to
// the next epoch (BBS04 §7) and records the update and the new public key;
// it changes no other member's entry, so it costs O(1) time and rows
// whatever the size of the group. Members and verifiers catch up with
// Updates.
//
// # Opening across epochs with one tag per member
//
// BBS04 §7 revokes (A*, x*) by setting g1' = A* = g1^(1/(γ+x*)). After the
// revocations x*_1 … x*_e the generator is g1_e = g1_0^ρ_e with
// ρ_e = 1/∏_{j≤e}(γ+x*_j), and a member's key at epoch e is
// A_e = g1_e^(1/(γ+x)) = A_0^ρ_e. Open recovers A_e from a signature of
// epoch e and raises it to 1/ρ_e = ∏_{j≤e}(γ+x*_j) — computed from γ and
// the x*_j of the published updates, one field multiplication per
// revocation, cached per epoch (groupsig.Rewinder) — to get A_0, the base
// tag it looks up. Opening costs one G1 multiplication more than
// groupsig's Open; revoking no longer re-tags every member.
//
// A signature opens to a member only for an epoch the member's key was
// issued for: from its join epoch up to, not including, its revocation
// epoch. Before that span the key was never issued, after it only γ could
// make it; either way Open names nobody (ErrNotFound). Within the span a
// revoked member's signature comes back as a *PublishedKeyError: its key is
// public since the update published (A*, x*) (A* is g1 of the next epoch,
// and rewinds to the revoked member's base tag like any of its keys).
//
// # The opener holds γ
//
// Rewinding needs γ, so NewOpener takes the issuer key as well as the
// opener key. This departs from groupsig's separation of issuing and
// opening (groupsig doc), and matches every deployment here: the e-cash
// user registry (GU) and the trust identity provider run both roles as one
// operator. Holding γ adds nothing to what that operator could already
// do. Security: 1/ρ_e is as secret as γ — with it and the public x*_j, γ is
// a root of the degree-e polynomial ∏(X+x*_j) − 1/ρ_e — so it is derived
// from γ in memory only, never stored or published.
//
// # Upgrading a registry with tags per epoch
//
// Schema version 1 kept a tag per member and epoch (table gs_tags) and
// re-tagged every member at each revocation. Migration 0002 marks such
// groups (Group.PerEpochTags) and indexes base tags; the conversion itself
// needs γ, so the first LoadIssuer or NewOpener of a marked group does it
// in Go (upgrade.go): it computes every member's base tag, checks it
// against the member's stored tag rewound, and records all base tags and
// join epochs in one transaction (Store.RebaseTags), emptying the group's
// rows of gs_tags. Signatures of every past epoch open as before. Nodes
// of the previous release must not write to the database meanwhile.
//
// The Store interface is small and documented method by method; SQLStore
// implements it on SQLite (embedded default) and PostgreSQL, and one test
// suite (store_test.go) runs against both.
//
// Errors: ErrNotFound, ErrGroupExists, ErrMemberExists, ErrEpochConflict
// (a concurrent revocation or join moved the group; retry), ErrNotActive
// (the member is revoked), ErrKeyPublished (PublishedKeyError). Open passes
// groupsig's verification errors on.
package registry
