// Package httpapi is what trustbank's HTTP+JSON services share, so every
// server (trustbank serve, merchant serve, and any later one) behaves the
// same at the edges:
//
//   - a server that sheds slow and idle clients (ServerConfig, NewServer,
//     Listen, Serve): read-header, read (whole request, body included),
//     write and idle timeouts, a header size limit, and a cap on open
//     connections, with defaults chosen for an API of small JSON messages;
//   - strict request decoding (Decode): Content-Type application/json, a
//     JSON object (not null, not an array), known fields only, one value,
//     at most MaxBody bytes;
//   - JSON replies, and errors as {"error": message, "code": code} with a
//     status from a per-service table of sentinel errors (Codes), 404 and
//     405 included (NewMux);
//   - who may read and change what: the operator (admin) bearer token
//     (Admin), and requests signed with an account's key (SignRequest,
//     VerifyRequest);
//   - a client whose errors unwrap to the same sentinels (Client);
//   - binary protocol messages carried one per JSON body (Message): the
//     handler of one protocol step (Step, Deliver) and its client call
//     (Client.Exchange).
//
// # Signed requests
//
// An account holder reads what belongs to the account without the
// operator token by signing the request with the account's key:
//
//	Trustbank-Signature: <unix seconds> <base64 signature>
//
// over "trustbank-request-v1\n" METHOD "\n" REQUEST-URI "\n" <unix seconds>.
// The scheme is the service's: a Signer and a Verifier are any key with
// Sign(msg) and Verify(msg, sig) — Ed25519 for ecash accounts
// (Ed25519Signer, Ed25519Verifier), SM2 with the account's user ID in Z_A
// or SM9 for ledger accounts (package ledger's signers and verifiers fit
// as they are). The domain prefix keeps a request signature from being
// taken for any other message an account key signs. A server passes
// VerifyRequest the keys of every account that may make the request (the
// payer and the payee of a ledger entry, say); a signature none of them
// verifies, or no key at all (an unknown resource), gets one and the same
// refusal, so the answer tells a stranger nothing.
//
// The request URI (path and query, as sent) names the resource, so a
// signature read from one request opens no other. The server accepts a
// time within SignatureWindow of its clock; a captured header replayed
// later is refused. Inside the window a replay repeats the same read of
// the same resource, which tells an eavesdropper nothing it had not seen
// (and a replay cache would refuse an Ed25519 holder's own second read in
// the same second: those signatures are deterministic). Only requests
// without a body are signed: the signature does not cover one.
//
// # Errors
//
// Every refusal is a sentinel of this package or of the service's table:
// ErrUnauthorized 401, ErrNotFound 404, ErrMethodNotAllowed 405,
// ErrTimeout 408, ErrUnsupportedMediaType 415; a malformed body is the
// service's own sentinel (400). Internal errors are logged and answered
// 500 "internal error".
package httpapi
