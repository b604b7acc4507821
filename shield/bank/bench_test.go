package bank

import (
	"crypto/rand"
	"testing"

	"github.com/emmansun/gmsm/sm2"

	"trustbank/internal/dbtest"
)

// BenchmarkLoginRoundTrip: challenge, the card's answer (a real SM2 key in
// process), verification and the durable use of the challenge (SQLite).
func BenchmarkLoginRoundTrip(b *testing.B) {
	s := newSystem(b, dbtest.Target{Path: dbtest.SQLitePath(b)})
	d, _ := s.customer("alice", 0)
	for b.Loop() {
		s.certLogin(d, "alice")
	}
}

// BenchmarkTransactionRoundTrip: pre-submit, the card's decryption,
// checks and signature, confirm and the booked transfer (SQLite).
func BenchmarkTransactionRoundTrip(b *testing.B) {
	s := newSystem(b, dbtest.Target{Path: dbtest.SQLitePath(b)})
	d, _, ses := s.aliceAndBob(1 << 50)
	for b.Loop() {
		if _, err := s.srv.Confirm(ctx, s.signedConfirm(d, ses, Payment{"alice", "bob", "Bob", 1})); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoginCrypto: the bare crypto of a login — the server signs the
// challenge, the card verifies and signs, the server verifies.
func BenchmarkLoginCrypto(b *testing.B) {
	server, card := benchKeys(b)
	msg := make([]byte, 90)
	for b.Loop() {
		ss, _ := signSM2(server, ctxChallenge, msg)
		must(b, verifySM2(&server.PublicKey, ctxChallenge, msg, ss))
		cs, _ := signSM2(card, ctxLogin, msg)
		must(b, verifySM2(&card.PublicKey, ctxLogin, msg, cs))
	}
}

// BenchmarkTransactionCrypto: the bare crypto of a transaction — sign and
// SM2-encrypt the order, decrypt and verify on the card, card signature,
// server verification.
func BenchmarkTransactionCrypto(b *testing.B) {
	server, card := benchKeys(b)
	order := make([]byte, 180)
	for b.Loop() {
		ss, _ := signSM2(server, ctxOrder, order)
		ct, err := sm2.EncryptASN1(rand.Reader, &card.PublicKey, order)
		must(b, err)
		pt, err := sm2.Decrypt(card, ct)
		must(b, err)
		must(b, verifySM2(&server.PublicKey, ctxOrder, pt, ss))
		cs, _ := signSM2(card, ctxConfirm, pt)
		must(b, verifySM2(&card.PublicKey, ctxConfirm, pt, cs))
	}
}

func benchKeys(b *testing.B) (server, card *sm2.PrivateKey) {
	server, err := sm2.GenerateKey(rand.Reader)
	must(b, err)
	card, err = sm2.GenerateKey(rand.Reader)
	must(b, err)
	return server, card
}
