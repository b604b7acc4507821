package ca

import "fmt"

// Reason is a CRL reason code (RFC 5280 §5.3.1).
type Reason int

// The reasons a holder or the bank may give. 7 is unused in RFC 5280;
// removeFromCRL (8) and aACompromise (10) do not apply to end entities.
const (
	Unspecified          Reason = 0
	KeyCompromise        Reason = 1
	AffiliationChanged   Reason = 3
	Superseded           Reason = 4
	CessationOfOperation Reason = 5
	CertificateHold      Reason = 6
	PrivilegeWithdrawn   Reason = 9
)

var reasonNames = []struct {
	r    Reason
	name string
}{
	{Unspecified, "unspecified"}, {KeyCompromise, "keyCompromise"}, {AffiliationChanged, "affiliationChanged"},
	{Superseded, "superseded"}, {CessationOfOperation, "cessationOfOperation"}, {CertificateHold, "certificateHold"},
	{PrivilegeWithdrawn, "privilegeWithdrawn"},
}

// ParseReason reads a reason by its RFC 5280 name.
func ParseReason(s string) (Reason, error) {
	for _, n := range reasonNames {
		if n.name == s {
			return n.r, nil
		}
	}
	return 0, fmt.Errorf("%w: %q", ErrReason, s)
}

func (r Reason) String() string {
	for _, n := range reasonNames {
		if n.r == r {
			return n.name
		}
	}
	return fmt.Sprintf("reason(%d)", int(r))
}

func (r Reason) valid() bool { return r.String() != fmt.Sprintf("reason(%d)", int(r)) }
