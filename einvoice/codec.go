package einvoice

import "trustbank/internal/wire"

// Kind is the first byte of every encoding.
type Kind uint8

// Wire messages.
const (
	KindBuyerRegistration  Kind = 0x01
	KindBuyerRegistered    Kind = 0x02
	KindSellerRegistration Kind = 0x03
	KindSellerRegistered   Kind = 0x04
	KindRequest            Kind = 0x11 // message 1, buyer → system
	KindVerifyRequest      Kind = 0x12 // message 2, system → seller
	KindVerifyResponse     Kind = 0x13 // message 3, seller → system
	KindInvoiceResponse    Kind = 0x14 // message 4, system → buyer
	KindConfirm            Kind = 0x15 // message 5, buyer → system
	KindNotice             Kind = 0x16 // message 6, system → seller
)

// Plaintexts (only ever sent encrypted, or kept by the app).
const (
	kindOrder        Kind = 0x21 // M_i
	kindDeal         Kind = 0x22 // m_j
	kindDelivery     Kind = 0x23 // c_e's plaintext: M_e and the refreshed identity
	kindNoticeBody   Kind = 0x24 // C_n's plaintext
	kindBuyerReg     Kind = 0x25 // the SM2-encrypted buyer registration
	kindBuyerCreds   Kind = 0x26 // the registration answer to a buyer
	kindSellerReg    Kind = 0x27
	kindWallet       Kind = 0x28 // the app's sealed credentials
	kindVerifyBody   Kind = 0x29 // C_e's plaintext: m_i
	kindSellerAnswer Kind = 0x2a // the registration answer to a seller
)

// Bounds of variable fields.
const (
	MaxOrderNo = 64    // bytes of an order number
	MaxText    = 400   // bytes of a name, item name or unit (UTF-8)
	MaxTaxID   = 20    // bytes of a buyer's tax ID (optional)
	MaxURL     = 512   // bytes of a seller's endpoint
	maxCipher  = 60000 // bytes of any ciphertext field
	maxSM2     = 1024  // bytes of an SM2 ciphertext
)

// reader starts decoding a message of kind k.
func reader(b []byte, k Kind) *wire.Reader { return wire.NewKindReader(b, uint8(k)) }

// done finishes decoding, mapping wire errors to ErrMalformed.
func done(r *wire.Reader, what string) error { return r.DoneAs(ErrMalformed, what) }

func writer(k Kind) *wire.Writer { return wire.NewKindWriter(uint8(k)) }

// fixed copies a fixed-size field read by r into dst.
func fixed(r *wire.Reader, dst []byte, what string) {
	copy(dst, r.Fixed(len(dst), what))
}

// text reads a length-prefixed UTF-8 string of 1..max bytes (0..max if
// optional).
func text(r *wire.Reader, max int, optional bool, what string) string {
	s := r.String16(max, what)
	if r.Err() == nil && !optional && s == "" {
		r.Fail("%s: empty", what)
	}
	if r.Err() == nil && !validUTF8(s) {
		r.Fail("%s: not UTF-8 text", what)
	}
	return s
}
