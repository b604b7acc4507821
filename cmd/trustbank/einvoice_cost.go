package main

import (
	"fmt"
	"strings"
)

// einvOps counts the cryptographic operations of one e-invoice session
// (the paper's cost comparison, §5: symmetric operations, hashes, one
// fuzzy extraction; we add what the paper leaves out).
type einvOps struct {
	HMAC   int // HMAC-SM3: every h, every mask block, every ENC/DEC key derivation
	Seal   int // SM4-GCM encryptions (ENC)
	Open   int // SM4-GCM decryptions (DEC)
	Match  int // face match (cosine distance of two templates)
	Rep    int // fuzzy extraction Rep (RS decoding and SM3)
	Sign   int // SM2 signature of the invoice
	Verify int // offline invoice verification: 3 SM2 verifications (2 certificates, the signature)
}

func (o einvOps) add(p einvOps, k int) einvOps {
	o.HMAC += k * p.HMAC
	o.Seal += k * p.Seal
	o.Open += k * p.Open
	o.Match += k * p.Match
	o.Rep += k * p.Rep
	o.Sign += k * p.Sign
	o.Verify += k * p.Verify
	return o
}

// The primitives, as the call expressions package einvoice writes them.
var einvPrimitives = map[string]einvOps{
	"h":               {HMAC: 1},
	"mask":            {HMAC: 1}, // one block: every mask is ≤ 32 bytes (IDLen or KeyLen)
	"aead(tk).Seal":   {Seal: 1},
	"aead(tk).Open":   {Open: 1},
	"biometric.Match": {Match: 1},
	"biometric.Rep":   {Rep: 1},
	"invoice.Sign":    {Sign: 1},
	"sd.Verify":       {Verify: 1},
}

// einvCall is one call a function makes: the call expression as written,
// how many times, and what it is: a primitive, another function of the
// graph ("Type.method" or "func"), or "" (no cryptography: a store, or
// the other party's step, counted on its own).
type einvCall struct {
	expr string
	n    int
	to   string
}

// einvCallGraph is every function of package einvoice that a first
// issuance runs and that computes, with the calls it makes (checked
// against the source by TestEinvoiceCostModel, so it cannot rot).
var einvCallGraph = map[string][]einvCall{
	"Buyer.Request":         {{"face.match", 1, "Face.match"}, {"biometric.Rep", 1, "biometric.Rep"}, {"bu.request", 1, "Buyer.request"}},
	"Face.match":            {{"biometric.Match", 1, "biometric.Match"}},
	"Buyer.request":         {{"walletKey", 1, "walletKey"}, {"bu.open", 1, "Buyer.open"}, {"sessionKey", 1, "sessionKey"}, {"enc", 2, "enc"}, {"h", 1, "h"}},
	"walletKey":             {{"h", 1, "h"}},
	"Buyer.open":            {{"dec", 1, "dec"}},
	"Buyer.seal":            {{"enc", 1, "enc"}},
	"sessionKey":            {{"h", 1, "h"}},
	"enc":                   {{"aead", 1, "aead"}, {"aead(tk).Seal", 1, "aead(tk).Seal"}},
	"dec":                   {{"aead", 1, "aead"}, {"aead(tk).Open", 1, "aead(tk).Open"}},
	"aead":                  {{"h", 1, "h"}},
	"MasterKey.Open":        {{"mask", 2, "mask"}},
	"MasterKey.BuyerKey":    {{"h", 1, "h"}},
	"MasterKey.SellerKey":   {{"h", 1, "h"}},
	"MasterKey.tag":         {{"h", 1, "h"}},
	"MasterKey.NewIdentity": {{"mask", 2, "mask"}},
	"System.idTag":          {{"s.ke.tag", 1, "MasterKey.tag"}},
	"System.Request": {{"s.authenticate", 1, "System.authenticate"}, {"s.ke.tag", 1, "MasterKey.tag"},
		{"s.invoiceFor", 1, "System.invoiceFor"}, {"s.deliver", 1, "System.deliver"}},
	"System.authenticate": {{"s.ke.Open", 1, "MasterKey.Open"}, {"s.ke.BuyerKey", 1, "MasterKey.BuyerKey"}, {"sessionKey", 1, "sessionKey"},
		{"h", 1, "h"}, {"s.ke.tag", 1, "MasterKey.tag"}, {"s.idTag", 1, "System.idTag"}, {"ss.open", 1, "session.open"}},
	"session.open":      {{"dec", 2, "dec"}},
	"System.invoiceFor": {{"s.verifyDeal", 1, "System.verifyDeal"}, {"s.issue", 1, "System.issue"}},
	"System.verifyDeal": {{"s.ke.SellerKey", 1, "MasterKey.SellerKey"}, {"sessionKey", 1, "sessionKey"}, {"enc", 1, "enc"},
		{"h", 2, "h"}, {"s.sellers.Verify", 1, ""}, {"dec", 1, "dec"}},
	"System.issue":        {{"invoice.Sign", 1, "invoice.Sign"}},
	"System.deliver":      {{"s.ke.NewIdentity", 1, "MasterKey.NewIdentity"}, {"s.idTag", 2, "System.idTag"}, {"enc", 1, "enc"}, {"h", 2, "h"}},
	"Seller.Verify":       {{"sessionKey", 1, "sessionKey"}, {"h", 2, "h"}, {"dec", 1, "dec"}, {"enc", 1, "enc"}},
	"BuyerSession.Finish": {{"h", 2, "h"}, {"dec", 1, "dec"}, {"ss.check", 1, "BuyerSession.check"}, {"ss.bu.seal", 1, "Buyer.seal"}},
	"BuyerSession.check":  {{"sd.Verify", 1, "sd.Verify"}},
	"System.Confirm":      {{"s.store.Confirm", 1, ""}, {"s.notify", 1, "System.notify"}},
	"System.notify": {{"s.ke.tag", 1, "MasterKey.tag"}, {"s.ke.SellerKey", 1, "MasterKey.SellerKey"}, {"sessionKey", 1, "sessionKey"},
		{"enc", 1, "enc"}, {"h", 1, "h"}, {"s.sellers.Notify", 1, ""}},
	"Seller.Notice": {{"sessionKey", 1, "sessionKey"}, {"h", 1, "h"}, {"dec", 1, "dec"}},
}

// einvSteps are a session's steps: which party, which messages, and the
// function of package einvoice that runs it.
var einvSteps = []struct{ party, msgs, fn string }{
	{"buyer", "builds 1", "Buyer.Request"},
	{"system", "1 → 2 … 3 → 4", "System.Request"},
	{"seller", "2 → 3", "Seller.Verify"},
	{"buyer", "4 → 5", "BuyerSession.Finish"},
	{"system", "5 → 6", "System.Confirm"},
	{"seller", "6", "Seller.Notice"},
}

// einvCost expands fn's operations through the call graph.
func einvCost(fn string) einvOps {
	if p, ok := einvPrimitives[fn]; ok {
		return p
	}
	var o einvOps
	for _, c := range einvCallGraph[fn] {
		if c.to != "" {
			o = o.add(einvCost(c.to), c.n)
		}
	}
	return o
}

// einvSessionCost is the whole session's operations.
func einvSessionCost() einvOps {
	var o einvOps
	for _, s := range einvSteps {
		o = o.add(einvCost(s.fn), 1)
	}
	return o
}

func (o einvOps) String() string {
	var parts []string
	for _, f := range []struct {
		n    int
		name string
	}{{o.Seal, "SM4-GCM enc"}, {o.Open, "SM4-GCM dec"}, {o.HMAC, "HMAC-SM3"}, {o.Match, "face match"}, {o.Rep, "fuzzy Rep"},
		{o.Sign, "SM2 sign"}, {o.Verify, "invoice verify (3 SM2 verify)"}} {
		if f.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", f.n, f.name))
		}
	}
	return strings.Join(parts, ", ")
}
