package ecash

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/google/go-tpm/tpm2"

	"trustbank/attest"
	"trustbank/attest/attesttest"
	"trustbank/groupsig"
)

// simEnroller is GU's enrolment trusting a test CA, and the certificate
// that CA issued for the simulator dev's EK (the simulator has none).
func simEnroller(t *testing.T, s *system, dev *attest.Device) (*Enroller, []byte) {
	t.Helper()
	ca, err := attesttest.NewCA("simulator manufacturer")
	must(t, err)
	ek, err := dev.EndorsementKey(attest.EKECCP256)
	must(t, err)
	cert, err := ca.IssueEK(ek)
	must(t, err)
	e, err := attest.NewEndorser(ca.PEM(), nil)
	must(t, err)
	return NewEnroller(s.users, e, EnrollConfig{TTL: time.Minute, Now: s.clock.Now}), cert
}

// enroll runs the protocol for dev, failing t on any refusal.
func enroll(t *testing.T, en *Enroller, dev *attest.Device, identity string, cert []byte) *groupsig.MemberKey {
	t.Helper()
	ch, err := en.Begin(ctx, &EnrollRequest{Identity: identity, EKCert: cert, AIK: dev.AIK()})
	must(t, err)
	secret, err := dev.ActivateCredential(ch.Credential)
	must(t, err)
	mk, err := en.Finish(ctx, &EnrollAnswer{ID: ch.ID, Secret: secret})
	must(t, err)
	return mk
}

// The protocol's refusals: each attack leaves the identity unregistered.
func TestEnrollmentRefusals(t *testing.T) {
	eachSystem(t, func(t *testing.T, s *system) {
		dev, err := attest.OpenPath("simulator")
		must(t, err)
		defer dev.Close()
		en, cert := simEnroller(t, s, dev)
		begin := func(id string, aik []byte) *EnrollChallenge {
			t.Helper()
			ch, err := en.Begin(ctx, &EnrollRequest{Identity: id, EKCert: cert, AIK: aik})
			must(t, err)
			return ch
		}
		activate := func(ch *EnrollChallenge) []byte {
			t.Helper()
			secret, err := dev.ActivateCredential(ch.Credential)
			must(t, err)
			return secret
		}
		unregistered := func(name, id string) {
			t.Helper()
			if _, err := s.users.AIK(ctx, id); !errors.Is(err, ErrUnknownUser) {
				t.Errorf("%s: %s was registered (%v)", name, id, err)
			}
		}

		// A software key: the registry cannot tell it from an AIK, but the
		// TPM cannot activate for it, and a guessed answer is refused.
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		soft := attesttest.SoftwareAIK(&k.PublicKey, func(*tpm2.TPMAObject) {})
		ch := begin("mallory", soft)
		if _, err := dev.ActivateCredential(ch.Credential); !errors.Is(err, attest.ErrEvidence) {
			t.Fatalf("fail/software-aik: TPM activated: %v", err)
		}
		if _, err := en.Finish(ctx, &EnrollAnswer{ID: ch.ID, Secret: make([]byte, 32)}); !errors.Is(err, ErrAttestation) {
			t.Fatalf("fail/software-aik: guessed answer: %v", err)
		}
		unregistered("fail/software-aik", "mallory")

		// An AIK that is not restricted and fixedTPM is refused at once.
		loose := attesttest.SoftwareAIK(&k.PublicKey, func(a *tpm2.TPMAObject) { a.Restricted, a.FixedTPM = false, false })
		if _, err := en.Begin(ctx, &EnrollRequest{Identity: "mallory", EKCert: cert, AIK: loose}); !errors.Is(err, ErrAttestation) ||
			!errors.Is(err, attest.ErrEvidence) {
			t.Fatalf("fail/not-fixedtpm: %v", err)
		}
		// An EK certificate from a CA the registry does not trust.
		rogue, _ := attesttest.NewCA("rogue")
		ek, _ := dev.EndorsementKey(attest.EKECCP256)
		rogueCert, _ := rogue.IssueEK(ek)
		if _, err := en.Begin(ctx, &EnrollRequest{Identity: "mallory", EKCert: rogueCert, AIK: dev.AIK()}); !errors.Is(err, ErrAttestation) ||
			!errors.Is(err, attest.ErrEndorsement) {
			t.Fatalf("fail/untrusted-ca: %v", err)
		}

		// A wrong answer uses the challenge up: the right one after it fails.
		ch = begin("bob-tpm", dev.AIK())
		secret := activate(ch)
		if _, err := en.Finish(ctx, &EnrollAnswer{ID: ch.ID, Secret: append([]byte{1}, secret[1:]...)}); !errors.Is(err, ErrAttestation) {
			t.Fatalf("fail/wrong-answer: %v", err)
		}
		if _, err := en.Finish(ctx, &EnrollAnswer{ID: ch.ID, Secret: secret}); !errors.Is(err, ErrEnrollment) {
			t.Fatalf("fail/answer-after-wrong-answer: %v", err)
		}
		unregistered("fail/wrong-answer", "bob-tpm")

		// A late answer is refused.
		ch = begin("bob-tpm", dev.AIK())
		secret = activate(ch)
		s.clock.Add(time.Minute + time.Second)
		if _, err := en.Finish(ctx, &EnrollAnswer{ID: ch.ID, Secret: secret}); !errors.Is(err, ErrExpired) {
			t.Fatalf("fail/expired: %v", err)
		}
		unregistered("fail/expired", "bob-tpm")

		// The honest answer registers; replaying it is refused.
		ch = begin("bob-tpm", dev.AIK())
		answer := &EnrollAnswer{ID: ch.ID, Secret: activate(ch)}
		if _, err := en.Finish(ctx, answer); err != nil {
			t.Fatal(err)
		}
		if _, err := en.Finish(ctx, answer); !errors.Is(err, ErrEnrollment) {
			t.Fatalf("fail/replayed-answer: %v", err)
		}
		if aik, err := s.users.AIK(ctx, "bob-tpm"); err != nil || string(aik) != string(dev.AIK()) {
			t.Fatalf("ok/enrolled: %x, %v", aik, err)
		}
		// The AIK cannot be swapped for another device's by enrolling again,
		// and a plain registration does not unbind it.
		if _, err := s.users.Register(ctx, "bob-tpm"); !errors.Is(err, ErrAccountExists) {
			t.Fatalf("fail/unbind: %v", err)
		}
	})
}

// Pending challenges are bounded; expired ones make room.
func TestEnrollmentPendingBound(t *testing.T) {
	dev, err := attest.OpenPath("simulator")
	must(t, err)
	defer dev.Close()
	ca, err := attesttest.NewCA("simulator manufacturer")
	must(t, err)
	ek, err := dev.EndorsementKey(attest.EKECCP256)
	must(t, err)
	cert, err := ca.IssueEK(ek)
	must(t, err)
	e, err := attest.NewEndorser(ca.PEM(), nil)
	must(t, err)
	c := &clock{t: time.Now()}
	en := NewEnroller(nil, e, EnrollConfig{TTL: time.Minute, MaxPending: 2, Now: c.Now})
	q := &EnrollRequest{Identity: "carol", EKCert: cert, AIK: dev.AIK()}
	for range 2 {
		_, err := en.Begin(ctx, q)
		must(t, err)
	}
	if _, err := en.Begin(ctx, q); !errors.Is(err, ErrEnrollment) {
		t.Fatalf("third pending challenge: %v", err)
	}
	c.Add(2 * time.Minute)
	if _, err := en.Begin(ctx, q); err != nil {
		t.Fatalf("after the others expired: %v", err)
	}
}
