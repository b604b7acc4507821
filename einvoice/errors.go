package einvoice

import "errors"

// Errors. Callers test with errors.Is; messages carry the details. Every
// one of them ends the session it happens in: nothing is issued, nothing
// is recorded as used except what the error says.
var (
	// ErrMalformed: a message or field that does not decode, or is out
	// of its range.
	ErrMalformed = errors.New("einvoice: malformed message")
	// ErrAuth: a MAC (S_i, S_e, S_j, s_e, R_i, S_n) that does not verify,
	// or a ciphertext that does not open. Deliberately vague: it does not
	// say which check failed.
	ErrAuth = errors.New("einvoice: message authentication failed")
	// ErrStale: a timestamp outside the replay window.
	ErrStale = errors.New("einvoice: timestamp outside the replay window")
	// ErrReplay: a message (its MAC or nonce) already seen in the window.
	ErrReplay = errors.New("einvoice: message replayed")
	// ErrUnknownIdentity: an anonymous identity that is neither the
	// buyer's current one nor its pending one (or no such buyer).
	ErrUnknownIdentity = errors.New("einvoice: anonymous identity not registered")
	// ErrUnknownSeller: a seller identifier that is not registered.
	ErrUnknownSeller = errors.New("einvoice: seller not registered")
	// ErrBadID: an eID or sID that is not a well-formed PRC ID number or
	// unified social credit code (check character included).
	ErrBadID = errors.New("einvoice: malformed identifier")
	// ErrUnknownOrder: the seller has no such order.
	ErrUnknownOrder = errors.New("einvoice: no such order at the seller")
	// ErrDealMismatch: the seller's answer does not match the buyer's
	// order (number or amount).
	ErrDealMismatch = errors.New("einvoice: the seller's order does not match the buyer's")
	// ErrAlreadyInvoiced: the order was invoiced for another buyer, or
	// the seller's order book already names another invoice.
	ErrAlreadyInvoiced = errors.New("einvoice: order already invoiced")
	// ErrUnknownSession: a confirmation for no session the system knows.
	ErrUnknownSession = errors.New("einvoice: unknown session")
	// ErrSessionState: a step out of order on the buyer's side (an answer
	// to a session already finished, or to none).
	ErrSessionState = errors.New("einvoice: session is not waiting for this message")
	// ErrFaceMismatch: the live face does not match the ID photo (the
	// app refuses before anything is sent).
	ErrFaceMismatch = errors.New("einvoice: live face does not match the ID photo")
	// ErrBiometric: the live face does not reproduce the buyer's
	// biometric key (or the eID is not the registered one).
	ErrBiometric = errors.New("einvoice: face or ID does not open this app's credentials")
	// ErrInvoice: the delivered invoice does not verify or does not match
	// the order asked for.
	ErrInvoice = errors.New("einvoice: invoice does not verify or does not match the order")
	// ErrSeller: the seller could not be reached or refused.
	ErrSeller = errors.New("einvoice: seller unavailable or refused")
)

// errNumberTaken: the store has an invoice of that number (of another
// order); Request issues the invoice again under another number.
var errNumberTaken = errors.New("einvoice: invoice number taken")
