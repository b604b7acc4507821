// Package einvoicehttp serves the e-invoice parties over HTTP+JSON and is
// their client. Protocol messages travel in their canonical binary
// encodings, base64 in a JSON object {"message": …}, so what a party MACs
// and checks is exactly what was sent (package einvoice, "Encodings").
//
// The tax system (NewSystemHandler):
//
//	GET  /einvoice/v1/system              registration key (SM2, PKIX DER) and invoice certificate chain
//	POST /einvoice/v1/register/buyer      BuyerRegistration → BuyerRegistered
//	POST /einvoice/v1/register/seller     SellerRegistration → SellerRegistered
//	POST /einvoice/v1/request             message 1 → message 4 (the system runs 2 and 3 with the seller)
//	POST /einvoice/v1/confirm             message 5 → {} (the system sends 6 to the seller)
//	POST /einvoice/v1/notices/resend      resend unacknowledged notices → {sent}        [admin]
//	POST /einvoice/v1/prune               drop replay-cache entries past the window       [admin]
//
// A seller's invoicing server (NewSellerHandler):
//
//	POST /einvoice/v1/seller/verify       message 2 → message 3
//	POST /einvoice/v1/seller/notice       message 6 → {}
//	POST /einvoice/v1/seller/orders       add a paid order {order_no, items} → {total}   [admin]
//	GET  /einvoice/v1/seller/orders/{no}  an order and its invoice number                 [admin]
//
// [admin] endpoints need "Authorization: Bearer <token>"; a handler made
// without a token refuses them all. Bodies are application/json objects
// of at most httpapi.MaxBody bytes with known fields only; every refusal
// is JSON {error, code} with a 4xx status (table below), and a refused
// request changes nothing.
package einvoicehttp

import (
	"net/http"

	"trustbank/einvoice"
	"trustbank/einvoice/invoice"
	"trustbank/internal/httpapi"
)

// Envelope carries one protocol message: its canonical binary encoding
// (base64 in JSON).
type Envelope = httpapi.Message

// SystemInfo is what the system publishes.
type SystemInfo struct {
	PublicKey []byte   `json:"public_key"` // SM2 registration key, PKIX DER
	Chain     [][]byte `json:"chain"`      // invoice-signing certificate chain, DER, leaf first
}

// OrderRequest adds a paid order to a seller's book.
type OrderRequest struct {
	OrderNo string         `json:"order_no"`
	Items   []invoice.Item `json:"items"`
}

// OrderResponse is an order's total, tax included, in fen.
type OrderResponse struct {
	OrderNo   string `json:"order_no"`
	Total     int64  `json:"total"`
	InvoiceNo string `json:"invoice_no,omitempty"`
}

// ResendResponse counts notices acknowledged now.
type ResendResponse struct {
	Sent int `json:"sent"`
}

// PruneResponse counts replay-cache entries dropped.
type PruneResponse struct {
	Pruned int64 `json:"pruned"`
}

// codes maps einvoice sentinels to wire codes and statuses (first match
// wins).
var codes = httpapi.Codes{
	httpapi.Map(einvoice.ErrMalformed, "malformed", http.StatusBadRequest),
	httpapi.Map(einvoice.ErrBadID, "bad_id", http.StatusBadRequest),
	httpapi.Map(einvoice.ErrStale, "stale", http.StatusBadRequest),
	httpapi.Map(einvoice.ErrAuth, "auth_failed", http.StatusForbidden),
	httpapi.Map(einvoice.ErrUnknownIdentity, "unknown_identity", http.StatusForbidden),
	httpapi.Map(einvoice.ErrReplay, "replay", http.StatusConflict),
	httpapi.Map(einvoice.ErrAlreadyInvoiced, "already_invoiced", http.StatusConflict),
	httpapi.Map(einvoice.ErrUnknownSeller, "unknown_seller", http.StatusNotFound),
	httpapi.Map(einvoice.ErrUnknownOrder, "unknown_order", http.StatusNotFound),
	httpapi.Map(einvoice.ErrUnknownSession, "unknown_session", http.StatusNotFound),
	httpapi.Map(einvoice.ErrDealMismatch, "deal_mismatch", http.StatusUnprocessableEntity),
	httpapi.Map(einvoice.ErrSeller, "seller_unavailable", http.StatusBadGateway),
	httpapi.Map(invoice.ErrInvalid, "malformed", http.StatusBadRequest),
}
