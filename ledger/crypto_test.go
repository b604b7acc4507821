package ledger

import "testing"

// An SM2 signature verifies under the user ID it was made with, and under
// no other: the verifier takes the ID as the signer does.
func TestSM2UserID(t *testing.T) {
	k, err := GenerateSM2()
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("trustbank/ledger/test")
	for name, tc := range map[string]struct {
		signUID, verifyUID []byte
		ok                 bool
	}{
		"ok/default":               {nil, nil, true},
		"ok/default-explicit":      {[]byte(DefaultUID), nil, true},
		"ok/named":                 {[]byte("alice@bank-a"), []byte("alice@bank-a"), true},
		"fail/named-under-default": {[]byte("alice@bank-a"), nil, false},
		"fail/default-under-named": {nil, []byte("alice@bank-a"), false},
		"fail/named-under-another": {[]byte("alice@bank-a"), []byte("alice@bank-b"), false},
	} {
		s, err := NewSM2Signer(k.Key(), tc.signUID)
		if err != nil {
			t.Fatal(name, err)
		}
		sig, err := s.Sign(msg)
		if err != nil {
			t.Fatal(name, err)
		}
		v, err := NewSM2Verifier(s.PublicKey(), tc.verifyUID)
		if err != nil {
			t.Fatal(name, err)
		}
		if got := v.Verify(msg, sig); got != tc.ok {
			t.Errorf("%s: Verify = %v", name, got)
		}
	}
}
