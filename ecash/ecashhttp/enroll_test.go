package ecashhttp_test

import (
	"errors"
	"testing"

	"trustbank/attest"
	"trustbank/attest/attesttest"
	"trustbank/ecash"
	"trustbank/internal/dbtest"
	"trustbank/internal/node"
)

// AIK enrolment over HTTP: the simulator (EK certified by the node's test
// CA) enrols; the answer replayed, a wrong answer and a node that trusts
// no manufacturer are refused with their codes.
func TestHTTPEnrollment(t *testing.T) {
	dev, err := attest.OpenPath("simulator")
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	ca, err := attesttest.NewCA("simulator manufacturer")
	if err != nil {
		t.Fatal(err)
	}
	ek, err := dev.EndorsementKey(attest.EKECCP256)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.IssueEK(ek)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, dbtest.Target{}, func(c *node.Config) { c.EKCA = ca.PEM() })
	q := &ecash.EnrollRequest{Identity: "tess", EKCert: cert, AIK: dev.AIK()}

	ch, err := e.c.BeginEnrollment(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.FinishEnrollment(ctx, &ecash.EnrollAnswer{ID: ch.ID, Secret: make([]byte, 32)}); !errors.Is(err, ecash.ErrAttestation) {
		t.Fatalf("fail/wrong-answer: %v", err)
	}
	ch, err = e.c.BeginEnrollment(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	secret, err := dev.ActivateCredential(ch.Credential)
	if err != nil {
		t.Fatal(err)
	}
	answer := &ecash.EnrollAnswer{ID: ch.ID, Secret: secret}
	if _, err := e.c.FinishEnrollment(ctx, answer); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.FinishEnrollment(ctx, answer); !errors.Is(err, ecash.ErrEnrollment) {
		t.Fatalf("fail/replayed-answer: %v", err)
	}
	if aik, err := e.node.Users.AIK(ctx, "tess"); err != nil || string(aik) != string(dev.AIK()) {
		t.Fatalf("registered AIK: %x, %v", aik, err)
	}

	plain := newEnv(t, dbtest.Target{})
	if _, err := plain.c.BeginEnrollment(ctx, q); !errors.Is(err, ecash.ErrAttestation) {
		t.Fatalf("fail/no-ek-ca: %v", err)
	}
}
