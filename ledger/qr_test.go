package ledger

import (
	"bytes"
	"testing"

	"trustbank/internal/openssltest"
	"trustbank/internal/qrimg/qrtest"
)

// Every QR message round-trips through a real QR code byte for byte.
func TestQRRoundTrip(t *testing.T) {
	bk := newBook(t, sqliteOpen(t), SM2)
	for range 40 { // a proof of several hashes
		bk.mustPay("carol", "alice", 1, "warm-up")
	}
	coll, m, st, err := bk.payWithNotice("alice", "bob", 12345, "发票 No. 8 — 办公用品")
	if err != nil {
		t.Fatal(err)
	}
	bn, err := bk.bank.BalanceNotice(bk.ctx, st.Entry.Index)
	if err != nil {
		t.Fatal(err)
	}
	rc, _ := bk.accts["bob"].Receipt(m, st, bk.now)
	msgs := map[string]interface{ MarshalBinary() ([]byte, error) }{
		"QR1 template": bk.accts["alice"].Template, "QR2 money": m, "QR3 settlement": st,
		"QR4 balance": bn, "QR5 receipt": rc, "collection notice": coll,
		"payment (QR1 + QR2)": bk.accts["alice"].Hand(m),
	}
	for name, msg := range msgs {
		enc, err := msg.MarshalBinary()
		if err != nil {
			t.Fatal(name, err)
		}
		img, err := QRPNG(enc, 0)
		if err != nil {
			t.Fatal(name, err)
		}
		back, err := QRDecodePNG(img)
		if err != nil {
			t.Fatal(name, err)
		}
		if !bytes.Equal(back, enc) {
			t.Fatalf("%s: QR round trip changed the bytes", name)
		}
		dec, err := DecodeQRMessage(back)
		if err != nil {
			t.Fatal(name, err)
		}
		re, _ := dec.(interface{ MarshalBinary() ([]byte, error) }).MarshalBinary()
		if !bytes.Equal(re, enc) {
			t.Fatalf("%s: decode/encode changed the bytes", name)
		}
		t.Logf("%s: %d bytes, PNG %d bytes", name, len(enc), len(img))
		zbarCheck(t, name, img, enc)
	}
	if err := bn.Verify(bk.bank.Verifier()); err != nil {
		t.Fatal(err)
	}
	if _, err := QRPNG(make([]byte, MaxQR+1), 0); err == nil {
		t.Fatal("oversized QR accepted")
	}
}

// Our SM2 signatures are standard: OpenSSL 3 verifies a money field
// signature with the default distinguishing ID, and refuses a changed one.
func TestSM2InteropOpenSSL(t *testing.T) {
	o := openssltest.New(t)
	s, _ := GenerateSM2()
	m := &Money{Payer: "alice", Time: 1, Amount: 5, Currency: "CNY", Purpose: "x", Payee: "bob"}
	a := &Account{Template: &Template{Account: "alice", Currency: "CNY"}, Signer: s}
	a.signMoney(m)
	pub := o.PublicKeyPEM("pub.pem", &s.Key().PublicKey)
	msg := m.fields()[1]
	verifyID := func(sig []byte, id string) error { return o.VerifyKey(pub, id, msg, derSignature(sig)) }
	verify := func(sig []byte) error { return verifyID(sig, "1234567812345678") }
	if err := verifyID(m.Sig4, "another-id"); err == nil {
		t.Fatal("openssl accepted the signature under another user ID: the ID is not in Z_A")
	}
	if err := verify(m.Sig4); err != nil {
		t.Fatalf("openssl refused our SM2 signature: %v", err)
	}
	bad := bytes.Clone(m.Sig4)
	bad[10] ^= 1
	if err := verify(bad); err == nil {
		t.Fatal("openssl accepted a changed signature")
	}
	// A signer with its own user ID: OpenSSL 3.0's dgst verifies it with
	// -sigopt distid:ID (it has no -vfyopt), and only under that ID.
	named, err := NewSM2Signer(s.Key(), []byte("alice@bank-a"))
	if err != nil {
		t.Fatal(err)
	}
	sig, err := named.Sign(m.fields()[1])
	if err != nil {
		t.Fatal(err)
	}
	dgst := func(id string) error {
		_, err := o.Run("dgst", "-sm3", "-verify", pub, "-sigopt", "distid:"+id,
			"-signature", o.File("sig", derSignature(sig)), o.File("msg", msg))
		return err
	}
	if err := dgst("alice@bank-a"); err != nil {
		t.Fatalf("openssl dgst -sigopt refused a signature under alice@bank-a: %v", err)
	}
	if err := dgst(DefaultUID); err == nil {
		t.Fatal("openssl dgst accepted alice@bank-a's signature under the default ID")
	}
}

// zbarCheck decodes the QR code with an independent decoder (Debian's
// zbarimg, in binary mode) and wants the same bytes.
func zbarCheck(t *testing.T, name string, img, want []byte) {
	t.Helper()
	if got, ok := qrtest.Zbar(t, name, img); ok && !bytes.Equal(got, want) {
		t.Fatalf("%s: zbarimg read %d bytes that differ from the %d encoded", name, len(got), len(want))
	}
}
