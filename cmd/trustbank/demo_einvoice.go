package main

import (
	"bytes"
	"context"
	"encoding"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"

	"trustbank/einvoice"
	"trustbank/einvoice/einvoicehttp"
	"trustbank/einvoice/invoice"
	"trustbank/internal/node"
	"trustbank/internal/qrimg"
)

// wireTap is an eavesdropper on the system–seller link: it passes
// messages 2, 3 and 6 on (over HTTP) and keeps their bytes.
type wireTap struct {
	einvoice.SellerLink
	mu   sync.Mutex
	seen [][]byte
}

func (w *wireTap) keep(m encoding.BinaryMarshaler) {
	b, _ := m.MarshalBinary()
	w.mu.Lock()
	w.seen = append(w.seen, b)
	w.mu.Unlock()
}

func (w *wireTap) Verify(ctx context.Context, endpoint string, m *einvoice.VerifyRequest) (*einvoice.VerifyResponse, error) {
	w.keep(m)
	resp, err := w.SellerLink.Verify(ctx, endpoint, m)
	if err == nil {
		w.keep(resp)
	}
	return resp, err
}

func (w *wireTap) Notify(ctx context.Context, endpoint string, m *einvoice.Notice) error {
	w.keep(m)
	return w.SellerLink.Notify(ctx, endpoint, m)
}

// demoTap is the demo node's link to sellers: HTTP, tapped.
var demoTap = &wireTap{SellerLink: &einvoicehttp.SellerLink{}}

// The shop's items for alice's purchase: 241.51 CNY at 6% VAT, 256.00
// CNY tax included, what she paid in e-cash.
var demoItems = []invoice.Item{{Name: "*信息技术服务*软件订阅", Unit: "年", Quantity: 1000, UnitPrice: 24151, TaxRate: 600}}

// einvoiceStory: alice asks the tax e-invoice system for the invoice of
// her e-cash purchase at the shop; the system checks the deal with the
// shop's invoicing server (over loopback HTTP), signs, delivers; she
// verifies offline.
func (d *demo) einvoiceStory(ctx context.Context, n *node.Node, dataDir string) error {
	d.section("Privacy-preserving e-invoice issuance (seed 003): packages einvoice, einvoice/invoice, einvoice/biometric")
	sys := n.Einvoice.System
	shop, stop, err := d.serveShop(ctx, sys, dataDir)
	if err != nil {
		return err
	}
	defer stop()
	total, err := shop.AddOrder(ctx, "SHOP-0001", demoItems)
	if err != nil {
		return err
	}
	d.say("shop", "registered its credit code %s with the tax system (SM2-encrypted), got K_j, and booked alice's order SHOP-0001: %s", "", shop.SID(), cnyFen(total))
	face := newSyntheticFace(2026)
	eID := einvEID(42)
	cfg := einvoice.BuyerConfig{Root: n.Einvoice.Root}
	app, err := registerBuyer(ctx, sys, eID, face.face(), cfg)
	if err != nil {
		return err
	}
	d.say("alice", "her app matched her live face to her ID photo, derived b_i with the fuzzy extractor and registered: it keeps only a helper string and K_i sealed under her face and ID number",
		"the phone's storage opens nothing without her face")
	order := einvoice.Order{OrderNo: "SHOP-0001", Amount: total, BuyerName: "王小丽"}
	req, ss, err := app.Request(eID, face.face(), shop.SID(), order)
	if err != nil {
		return err
	}
	resp, err := sys.Request(ctx, req)
	if err != nil {
		return err
	}
	conf, sd, err := ss.Finish(resp)
	if err != nil {
		return err
	}
	if err := sys.Confirm(ctx, conf); err != nil {
		return err
	}
	d.say("tax system", "authenticated alice's anonymous request, asked the shop's server about order SHOP-0001 (messages 2, 3), and issued invoice %s, total %s, signed with SM2",
		"the deal is the seller's, checked before the invoice exists", sd.Invoice.Number, cnyFen(sd.Invoice.Total))
	if _, err := invoice.Verify(sd.JSON(), n.Einvoice.Root); err != nil {
		return err
	}
	d.say("alice", "verified invoice %s offline against the CA root in %s", "anyone holding the root can check an invoice without the tax system", sd.Invoice.Number, node.EinvoiceRootFile)
	if err := d.scanQR(sd); err != nil {
		return err
	}
	return d.einvoiceAttacks(ctx, sys, req, resp, conf, sd)
}

// scanQR renders the invoice's QR code, decodes the image back (as a
// phone's scanner would) and checks the text against the invoice.
func (d *demo) scanQR(sd *invoice.Signed) error {
	img, err := sd.QR()
	if err != nil {
		return err
	}
	text, err := qrimg.DecodeTextPNG(img)
	if err != nil {
		return fmt.Errorf("demo: the invoice's QR code: %w", err)
	}
	q, err := invoice.ParseQR(text)
	if err != nil {
		return err
	}
	if err := sd.MatchQR(q); err != nil {
		return err
	}
	d.say("alice", "scanned the QR code printed on the invoice (a %d-byte PNG); it reads %q", "number, date, seller, total and the check code of this signed copy",
		len(img), text)
	return nil
}

// serveShop starts the shop's invoicing server on loopback HTTP and
// registers it with the tax system.
func (d *demo) serveShop(ctx context.Context, sys *einvoice.System, dataDir string) (*localSeller, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	dir := filepath.Join(dataDir, "shop-seller")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		ln.Close()
		return nil, nil, err
	}
	shop, err := openLocalSeller(ctx, sys, dir, einvSID(2026), "示例软件商店", "http://"+ln.Addr().String())
	if err != nil {
		ln.Close()
		return nil, nil, err
	}
	srv := &http.Server{Handler: einvoicehttp.NewSellerHandler(shop.Seller, "", nil)}
	go srv.Serve(ln)
	return shop, func() { srv.Close(); shop.Close() }, nil
}

// einvoiceAttacks: what an eavesdropper learns, and a replay.
func (d *demo) einvoiceAttacks(ctx context.Context, sys *einvoice.System, req *einvoice.Request, resp *einvoice.InvoiceResponse, conf *einvoice.Confirm, sd *invoice.Signed) error {
	capture := append([][]byte(nil), demoTap.seen...)
	for _, m := range []encoding.BinaryMarshaler{req, resp, conf} {
		b, _ := m.MarshalBinary()
		capture = append(capture, b)
	}
	secrets := [][]byte{[]byte(sd.Invoice.Buyer.Name), []byte(sd.Invoice.Seller.TaxID), []byte(sd.Invoice.Number), []byte("SHOP-0001"),
		binary.BigEndian.AppendUint64(nil, uint64(sd.Invoice.Total)), []byte(einvEID(42).String())}
	size := 0
	for _, b := range capture {
		size += len(b)
		for _, s := range secrets {
			if bytes.Contains(b, s) {
				return fmt.Errorf("demo: the capture contains %q", s)
			}
		}
	}
	d.say("eavesdropper", "captured all %d messages (%d bytes): no name, ID number, credit code, order number, invoice number or amount in them",
		"identities and the deal travel only encrypted", len(capture), size)
	if _, err := sys.Request(ctx, req); !errors.Is(err, einvoice.ErrReplay) {
		return fmt.Errorf("demo: a replayed request was not refused: %v", err)
	}
	d.say("eavesdropper", "replayed alice's request: %v", "a replayed request is refused: S_i is in the durable replay cache", einvoice.ErrReplay)
	return nil
}
