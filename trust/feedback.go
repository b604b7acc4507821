package trust

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"math"

	"trustbank/groupsig"
	"trustbank/internal/wire"
)

// Report is a service's rating T_c of one transaction, with the
// authentication that opened it, so that the provider — and only the
// provider — can tell whom it rates: it opens the group signature. The
// authentication's service and nonce are the report's Service and
// Transaction, so a service can rate only sessions opened with itself.
type Report struct {
	Service     string
	Transaction [NonceSize]byte // the challenge nonce of the session
	Tc          float64         // the rating, in [0, 1] (package score)
	Auth        Authentication  // Service and Nonce equal the two above
}

// SignedReport is a Report signed with the service's Ed25519 key, which
// the provider registered (Provider.RegisterService). The signature
// authenticates the report; it also leaves the provider evidence of which
// service said what.
type SignedReport struct {
	Report
	Signature [ed25519.SignatureSize]byte
}

// Bytes returns the canonical encoding of r: what the service signs.
func (r *Report) Bytes() []byte {
	var w wire.Writer
	w.U8(kindReport)
	r.append(&w)
	return w.B
}

func (r *Report) append(w *wire.Writer) {
	w.String16(r.Service)
	w.Fixed(r.Transaction[:])
	w.U64(math.Float64bits(r.Tc))
	w.U64(uint64(r.Auth.Time.UnixMilli()))
	w.String16(r.Auth.Tier.String())
	w.B, _ = r.Auth.Signature.AppendBinary(w.B)
}

// check refuses a report no honest service makes.
func (r *Report) check() error {
	if !(r.Tc >= 0 && r.Tc <= 1) || math.Signbit(r.Tc) { // NaN and −0 fail too
		return fmt.Errorf("%w: T_c %v outside [0, 1]", ErrMalformed, r.Tc)
	}
	if r.Auth.Service != r.Service || r.Auth.Nonce != r.Transaction {
		return fmt.Errorf("%w: the authentication is not the transaction's", ErrMalformed)
	}
	return r.Auth.check()
}

// Sign signs r with the service's key.
func (r *Report) Sign(key ed25519.PrivateKey) (*SignedReport, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	sr := &SignedReport{Report: *r}
	copy(sr.Signature[:], ed25519.Sign(key, r.Bytes()))
	return sr, nil
}

// verify checks the service's signature under pub.
func (sr *SignedReport) verify(pub ed25519.PublicKey) error {
	if len(pub) != ed25519.PublicKeySize || !ed25519.Verify(pub, sr.Report.Bytes(), sr.Signature[:]) {
		return fmt.Errorf("%w: service %q", ErrForgedFeedback, sr.Service)
	}
	return nil
}

// digest identifies a report's contents: a retry of the same report has
// the same digest, another report for the same transaction does not.
func (r *Report) digest() [32]byte { return sha256.Sum256(r.Bytes()) }

// MarshalBinary encodes sr as kind ‖ report fields ‖ Ed25519 signature.
func (sr *SignedReport) MarshalBinary() ([]byte, error) {
	if err := sr.check(); err != nil {
		return nil, err
	}
	var w wire.Writer
	w.U8(kindSignedReport)
	sr.Report.append(&w)
	w.Fixed(sr.Signature[:])
	return w.B, nil
}

// UnmarshalBinary decodes a signed report, refusing anything that is not
// the canonical encoding of a well-formed one. It does not check the
// signature (the provider does, with the service's registered key).
func (sr *SignedReport) UnmarshalBinary(b []byte) error {
	r := wire.NewReader(b)
	var out SignedReport
	if k := r.U8("kind"); r.Err() == nil && k != kindSignedReport {
		r.Fail("kind 0x%02x, want signed report", k)
	}
	out.Service = r.String16(MaxID, "service")
	copy(out.Transaction[:], r.Fixed(NonceSize, "transaction"))
	out.Tc = math.Float64frombits(r.U64("T_c"))
	out.Auth.Service, out.Auth.Nonce = out.Service, out.Transaction
	ms := r.U64("time")
	tier := r.String16(16, "tier")
	sig := r.Fixed(groupsig.SignatureSize, "signature")
	copy(out.Signature[:], r.Fixed(ed25519.SignatureSize, "service signature"))
	if err := r.Done(); err != nil {
		return fmt.Errorf("%w: report: %w", ErrMalformed, err)
	}
	if err := out.Auth.fill(ms, tier, sig); err != nil {
		return err
	}
	if err := out.check(); err != nil {
		return err
	}
	*sr = out
	return nil
}
