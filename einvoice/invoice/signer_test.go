package invoice

import (
	"bytes"
	"errors"
	"testing"

	"trustbank/shield/ca/cert"
)

func TestSignVerifyJSON(t *testing.T) {
	f := newFixture(t)
	inv := sample()
	sd := f.sign(t, inv)
	if inv.Total != 0 {
		t.Fatal("Sign changed the caller's invoice")
	}
	if sd.Invoice.Total != 110747 {
		t.Fatalf("signed total %d", sd.Invoice.Total)
	}
	data := sd.JSON()
	back, err := Verify(data, f.root())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.JSON(), data) {
		t.Fatal("JSON round trip changed the export")
	}
	org, err := back.Signer()
	if err != nil || org != taxBureau {
		t.Fatalf("signer %+v, %v", org, err)
	}
	t.Logf("JSON export: %d bytes", len(data))
}

// Changing any field of the exported JSON, stated or computed, makes
// Verify fail: the signature covers every field and the amounts are
// recomputed.
func TestVerifyRefusesTampering(t *testing.T) {
	f := newFixture(t)
	sd := f.sign(t, sample())
	for name, c := range map[string]struct {
		edit func(*Signed)
		want error
	}{
		"number":          {func(s *Signed) { s.Invoice.Number = "26110000000000012346" }, ErrSignature},
		"date":            {func(s *Signed) { s.Invoice.IssueDate = "2026-03-02" }, ErrSignature},
		"seller name":     {func(s *Signed) { s.Invoice.Seller.Name += "分公司" }, ErrSignature},
		"seller tax ID":   {func(s *Signed) { s.Invoice.Seller.TaxID = "91350100M000100Y43" }, ErrSignature},
		"buyer name":      {func(s *Signed) { s.Invoice.Buyer.Name = "李四" }, ErrSignature},
		"buyer tax ID":    {func(s *Signed) { s.Invoice.Buyer.TaxID = "91350100M000100Y43" }, ErrSignature},
		"item name":       {func(s *Signed) { s.Invoice.Items[0].Name = "*办公用品*钢笔" }, ErrSignature},
		"unit":            {func(s *Signed) { s.Invoice.Items[0].Unit = "盒" }, ErrSignature},
		"quantity":        {func(s *Signed) { s.Invoice.Items[0].Quantity++ }, ErrSignature},
		"unit price":      {func(s *Signed) { s.Invoice.Items[1].UnitPrice-- }, ErrSignature},
		"tax rate":        {func(s *Signed) { s.Invoice.Items[0].TaxRate = 900 }, ErrSignature},
		"line amount":     {func(s *Signed) { s.Invoice.Items[1].Amount-- }, ErrSignature},
		"line tax":        {func(s *Signed) { s.Invoice.Items[0].Tax++ }, ErrSignature},
		"amount":          {func(s *Signed) { s.Invoice.Amount++ }, ErrSignature},
		"tax":             {func(s *Signed) { s.Invoice.Tax-- }, ErrSignature},
		"total":           {func(s *Signed) { s.Invoice.Total += 100 }, ErrSignature},
		"dropped item":    {func(s *Signed) { s.Invoice.Items = s.Invoice.Items[:1] }, ErrSignature},
		"swapped items":   {func(s *Signed) { s.Invoice.Items[0], s.Invoice.Items[1] = s.Invoice.Items[1], s.Invoice.Items[0] }, ErrSignature},
		"signature bit":   {func(s *Signed) { s.Signature[len(s.Signature)-3] ^= 1 }, ErrSignature},
		"no issuing CA":   {func(s *Signed) { s.Chain = s.Chain[:1] }, ErrCertificate},
		"root as issuer":  {func(s *Signed) { s.Chain[1] = f.h.Root }, ErrCertificate},
		"CA as signer":    {func(s *Signed) { s.Chain = s.Chain[1:] }, ErrCertificate},
		"date before CA":  {func(s *Signed) { s.Invoice.IssueDate = "2026-02-28" }, ErrCertificate},
		"date after cert": {func(s *Signed) { s.Invoice.IssueDate = "2028-03-02" }, ErrCertificate},
	} {
		cp, err := ParseJSON(sd.JSON()) // a deep copy
		if err != nil {
			t.Fatal(err)
		}
		c.edit(cp)
		if c.want == ErrCertificate && name[:4] == "date" { // keep the number's year right
			cp.Invoice.Number = cp.Invoice.IssueDate[2:4] + cp.Invoice.Number[2:]
		}
		_, err = Verify(cp.JSON(), f.root())
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	// Another CA's root does not vouch for the signer.
	other := newFixture(t)
	if _, err := Verify(sd.JSON(), other.root()); !errors.Is(err, ErrCertificate) {
		t.Fatalf("foreign root: %v", err)
	}
	// A signer certified by another CA under our root's name is refused too.
	forged := other.sign(t, sample())
	if _, err := Verify(forged.JSON(), f.root()); !errors.Is(err, ErrCertificate) {
		t.Fatalf("foreign signer: %v", err)
	}
}

// The signer refuses keys that are not its certificate's and certificates
// that are not for document signing; Sign refuses an invoice dated
// outside the certificate.
func TestSignerChecks(t *testing.T) {
	f := newFixture(t)
	other := newFixture(t)
	if _, err := NewSigner(other.signer.key, f.signer.chain...); !errors.Is(err, ErrSigner) {
		t.Fatalf("foreign key: %v", err)
	}
	if _, err := NewSigner(f.h.IssuingKey, f.h.Issuing, f.h.Root); !errors.Is(err, ErrSigner) || !errors.Is(err, cert.ErrKeyUsage) {
		t.Fatalf("CA key as invoice signer: %v", err)
	}
	if _, err := NewSigner(f.signer.key, f.signer.chain[0], other.h.Issuing); !errors.Is(err, ErrSigner) {
		t.Fatalf("wrong issuer: %v", err)
	}
	inv := sample()
	inv.IssueDate, inv.Number = "2025-12-31", "25"+inv.Number[2:]
	if _, err := Sign(f.signer, inv); !errors.Is(err, ErrSigner) || !errors.Is(err, cert.ErrValidity) {
		t.Fatalf("invoice dated before the certificate: %v", err)
	}
	if _, err := Sign(f.signer, &Invoice{}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("empty invoice: %v", err)
	}
}
