package bank

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"fmt"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"

	"trustbank/internal/wire"
)

// Kind is the first byte of every message encoding.
type Kind uint8

const (
	KindPasswordLogin     Kind = 0x01
	KindSession           Kind = 0x02
	KindEnrollRequest     Kind = 0x03
	KindEnrollResponse    Kind = 0x04
	KindEnrollConfirm     Kind = 0x05
	KindLoginChallenge    Kind = 0x06
	KindLoginResponse     Kind = 0x07
	KindPreSubmit         Kind = 0x08
	KindOrder             Kind = 0x09
	KindPreSubmitResponse Kind = 0x0a
	KindConfirm           Kind = 0x0b
	KindSessionTransfer   Kind = 0x0c
	KindReceipt           Kind = 0x0d
)

// Sizes and bounds of fields.
const (
	IDSize       = 16
	NonceSize    = 32
	TokenSize    = 32
	maxAccountID = 64
	maxName      = 256
	maxPassword  = 256
	maxCode      = 64
	maxSig       = 128   // an SM2 ASN.1 signature is at most 72 bytes
	maxCSR       = 8192  // a PKCS#10 request
	maxP7        = 49152 // a PKCS#7 bundle (the card's store is 50 KB)
	maxSealed    = 2048  // an SM2 ciphertext of an order
)

// Domain-separation prefixes of everything signed.
const (
	ctxChallenge = "trustbank/shield/bank/v1/login-challenge\x00"
	ctxLogin     = "trustbank/shield/bank/v1/login-response\x00"
	ctxOrder     = "trustbank/shield/bank/v1/order\x00"
	ctxConfirm   = "trustbank/shield/bank/v1/confirm\x00"
	ctxEnrolled  = "trustbank/shield/bank/v1/enrolled\x00"
)

// reader starts decoding a message of kind k.
func reader(b []byte, k Kind) *wire.Reader { return wire.NewKindReader(b, uint8(k)) }

// done finishes decoding, mapping wire errors to ErrMalformed.
func done(r *wire.Reader, what string) error { return r.DoneAs(ErrMalformed, what) }

func writer(k Kind) *wire.Writer { return wire.NewKindWriter(uint8(k)) }

// checkField refuses strings longer than the decoder accepts, so that
// every value Marshal encodes also decodes.
func checkField(what, v string, max int) error {
	if len(v) > max {
		return fmt.Errorf("%w: %s longer than %d bytes", ErrMalformed, what, max)
	}
	return nil
}

// signSM2 signs ctx||msg with signer: SM2 with the default user ID (the
// Z value and SM3 as GB/T 32918.2 specifies).
func signSM2(signer crypto.Signer, ctx string, msg []byte) ([]byte, error) {
	return signer.Sign(rand.Reader, append([]byte(ctx), msg...), sm2.DefaultSM2SignerOpts)
}

// verifySM2 checks an SM2 signature over ctx||msg.
func verifySM2(pub *ecdsa.PublicKey, ctx string, msg, sig []byte) error {
	if pub == nil || !sm2.VerifyASN1WithSM2(pub, nil, append([]byte(ctx), msg...), sig) {
		return ErrBadSignature
	}
	return nil
}

func sm3Sum(parts ...[]byte) [32]byte {
	h := sm3.New()
	for _, p := range parts {
		h.Write(p)
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

func wireWriter(b []byte) *wire.Writer { return &wire.Writer{B: b} }
