package einvoice

import (
	"crypto/ecdsa"
	"crypto/rand"
	"fmt"

	"trustbank/einvoice/biometric"
)

// Face is what the app reads at the counter: the ID card's photo and the
// live face, as feature templates (package einvoice/biometric).
type Face struct {
	IDPhoto biometric.Template
	Live    biometric.Template
}

// match is the app's local check: the live face is the ID photo's
// person (biometric.Match, DefaultThreshold), else ErrFaceMismatch and
// nothing is sent.
func (f *Face) match() error {
	d, ok := biometric.Match(f.IDPhoto, f.Live)
	if !ok {
		return fmt.Errorf("%w (cosine distance %.3f > %.2f)", ErrFaceMismatch, d, biometric.DefaultThreshold)
	}
	return nil
}

// NewBuyerRegistration starts a buyer's registration with the system
// whose registration key is pub: the app checks the live face against the
// ID photo, derives b_i with the fuzzy extractor (Gen on the live face)
// and seals (eID_i, b_i) to the system.
func NewBuyerRegistration(pub *ecdsa.PublicKey, eID EID, face Face, cfg BuyerConfig) (*BuyerRegistration, *PendingBuyer, error) {
	if err := face.match(); err != nil {
		return nil, nil, err
	}
	key, helper, err := biometric.Gen(rand.Reader, face.Live)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrBiometric, err)
	}
	hb, err := helper.MarshalBinary()
	if err != nil {
		return nil, nil, err
	}
	bio := BioKey(key)
	defer clear(bio[:])
	clear(key[:])
	return newBuyerRegistration(pub, eID, &bio, hb, nowOf(cfg))
}

// Request builds message 1 for the order o at seller sid: the app checks
// the live face against the ID photo (ErrFaceMismatch: nothing is sent),
// reproduces b_i from the live face (ErrBiometric if it does not open
// the app's credentials), and seals the request under TK_i.
func (bu *Buyer) Request(eID EID, face Face, sid SID, o Order) (*Request, *BuyerSession, error) {
	if err := face.match(); err != nil {
		return nil, nil, err
	}
	var helper biometric.Helper
	if err := helper.UnmarshalBinary(bu.helper); err != nil {
		return nil, nil, fmt.Errorf("%w: stored helper: %w", ErrBiometric, err)
	}
	key, err := biometric.Rep(face.Live, &helper)
	if err != nil { // biometric.ErrNoMatch, or a tampered helper
		return nil, nil, fmt.Errorf("%w: %w", ErrBiometric, err)
	}
	bio := BioKey(key)
	defer clear(bio[:])
	clear(key[:])
	return bu.request(eID, &bio, sid, o)
}
