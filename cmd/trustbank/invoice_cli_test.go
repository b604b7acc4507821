package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"trustbank/einvoice/biometric"
	"trustbank/einvoice/einvoicehttp"
	"trustbank/einvoice/einvoicetest"
	"trustbank/einvoice/invoice"
	"trustbank/einvoice/invoice/doctest"
	"trustbank/internal/node"
	"trustbank/internal/qrimg/qrtest"
)

// writeTemplate writes t as a JSON array.
func writeTemplate(t *testing.T, path string, tm biometric.Template) string {
	b, err := json.Marshal(tm)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// run runs the CLI in process and returns its output.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, errOut, err := runCLI(t, args...)
	return out + errOut, err
}

// A real `trustbank serve --roles tax`, a seller made and served with
// `trustbank seller`, and a buyer using `trustbank invoice`: register,
// request, verify offline, export; tampering, a wrong face and bad
// inputs fail with a clear error and change nothing.
func TestInvoiceCLI(t *testing.T) {
	data, dir := t.TempDir(), t.TempDir()
	base, _ := startServer(t, "--data", data, "--roles", "tax")
	root := filepath.Join(data, node.EinvoiceRootFile)
	sellerDir, shop := filepath.Join(dir, "shop"), freeAddr(t)
	sid := einvoicetest.SID(t, 7).String()
	mustRun(t, "seller", "init", "--dir", sellerDir, "--system", base, "--sid", sid, "--name", "示例咖啡馆", "--endpoint", "http://"+shop)
	if _, err := run(t, "seller", "init", "--dir", sellerDir, "--system", base, "--sid", sid, "--name", "x", "--endpoint", "http://"+shop); err == nil {
		t.Fatal("a second seller init succeeded")
	}
	out := mustRun(t, "seller", "order", "--dir", sellerDir, "--no", "CAFE-1", "--item", "*餐饮服务*咖啡|杯|2|16.98|6")
	if !strings.Contains(out, "total 36.00 CNY") {
		t.Fatalf("order: %s", out)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- Run(ctx, []string{"seller", "serve", "--dir", sellerDir, "--addr", shop}, &bytes.Buffer{}, &bytes.Buffer{})
	}()
	t.Cleanup(func() { stop(); <-served })
	waitListening(t, shop)

	p := einvoicetest.NewPerson(t, 3, "张三")
	face := p.Face()
	idPhoto := writeTemplate(t, filepath.Join(dir, "id.json"), face.IDPhoto)
	live := writeTemplate(t, filepath.Join(dir, "live.json"), face.Live)
	other := writeTemplate(t, filepath.Join(dir, "other.json"), einvoicetest.NewPerson(t, 4, "李四").Face().Live)
	app := filepath.Join(dir, "app.json")
	faceArgs := []string{"--id", p.EID.String(), "--id-photo", idPhoto, "--live", live}
	if _, err := run(t, append([]string{"invoice", "register", "--app", app, "--system", base, "--root", root, "--live", other}, faceArgs[:4]...)...); err == nil {
		t.Fatal("registration with another person's live face succeeded")
	}
	if _, err := os.Stat(app); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a refused registration wrote the app state")
	}
	mustRun(t, append([]string{"invoice", "register", "--app", app, "--system", base, "--root", root}, faceArgs...)...)

	inv := filepath.Join(dir, "invoice.json")
	req := []string{"invoice", "request", "--app", app, "--seller", sid, "--order", "CAFE-1", "--name", "张三", "--out", inv}
	before, _ := os.ReadFile(app)
	if _, err := run(t, append(append(req, "--amount", "35.00"), faceArgs...)...); err == nil {
		t.Fatal("a request with the wrong amount succeeded")
	}
	if after, _ := os.ReadFile(app); !bytes.Equal(before, after) {
		t.Fatal("a refused request changed the app state")
	}
	out = mustRun(t, append(append(req, "--amount", "36.00"), faceArgs...)...)
	if !strings.Contains(out, "total 36.00 CNY") {
		t.Fatalf("request: %s", out)
	}
	out = mustRun(t, "invoice", "verify", "--root", root, inv)
	if !strings.Contains(out, "OK") || !strings.Contains(out, "示例咖啡馆") || !strings.Contains(out, "36.00 CNY") {
		t.Fatalf("verify: %s", out)
	}
	exported := filepath.Join(dir, "export.json")
	mustRun(t, "invoice", "export", "--format", "json", "--out", exported, inv)
	mustRun(t, "invoice", "verify", "--root", root, exported)
	if _, err := run(t, "invoice", "export", "--format", "docx", inv); !errors.Is(err, errUsage) {
		t.Fatalf("export to an unknown format: %v", err)
	}
	checkExports(t, dir, inv)

	// Tampering: the total changed by one fen.
	b, _ := os.ReadFile(inv)
	bad := filepath.Join(dir, "tampered.json")
	tampered := bytes.Replace(b, []byte(`"total": 3600`), []byte(`"total": 3601`), 1)
	if bytes.Equal(tampered, b) {
		t.Fatal("no total to tamper with")
	}
	os.WriteFile(bad, tampered, 0o600)
	if out, err := run(t, "invoice", "verify", "--root", root, bad); err == nil || !strings.Contains(err.Error(), "does not verify") {
		t.Fatalf("a tampered invoice: %v %s", err, out)
	}
	// Another root: the chain does not verify.
	if _, err := run(t, "invoice", "verify", "--root", idPhoto, inv); err == nil {
		t.Fatal("verify against a non-certificate succeeded")
	}
	// The seller's book names the invoice (message 6 arrived).
	var sd struct {
		Invoice struct{ Number string } `json:"invoice"`
	}
	json.Unmarshal(b, &sd)
	if !waitFor(func() bool { return sellerInvoiced(t, sellerDir, "CAFE-1") == sd.Invoice.Number }) {
		t.Fatalf("the seller's book does not name invoice %s", sd.Invoice.Number)
	}
	// The same order again: the same invoice (a retry), not a second one.
	out = mustRun(t, append(append(req, "--amount", "36.00", "--out", filepath.Join(dir, "again.json")), faceArgs...)...)
	if !strings.Contains(out, sd.Invoice.Number) {
		t.Fatalf("a second request for the order: %s", out)
	}
	// Bad inputs: clear usage errors.
	for name, args := range map[string][]string{
		"bad ID":     {"invoice", "request", "--app", app, "--seller", sid, "--order", "CAFE-1", "--amount", "36", "--name", "x", "--id", "123", "--id-photo", idPhoto, "--live", live},
		"bad seller": {"invoice", "request", "--app", app, "--seller", "nope", "--order", "CAFE-1", "--amount", "36", "--name", "x"},
		"bad amount": {"invoice", "request", "--app", app, "--seller", sid, "--order", "CAFE-1", "--amount", "3.141", "--name", "x"},
		"bad item":   {"seller", "order", "--dir", sellerDir, "--no", "X", "--item", "coffee|cup|1"},
		"no sub":     {"invoice"},
	} {
		if _, err := run(t, args...); !errors.Is(err, errUsage) {
			t.Errorf("%s: %v, want a usage error", name, err)
		}
	}
}

func waitListening(t *testing.T, addr string) {
	if !waitFor(func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	}) {
		t.Fatalf("nothing listens on %s", addr)
	}
}

func waitFor(ok func() bool) bool {
	for range 100 {
		if ok() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// sellerInvoiced reads the invoice number the seller's book has for an order.
func sellerInvoiced(t *testing.T, dir, orderNo string) string {
	_, s, err := openSeller(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	o, err := s.Order(context.Background(), orderNo)
	if err != nil {
		t.Fatal(fmt.Errorf("order %s: %w", orderNo, err))
	}
	return o.InvoiceNo
}

// `trustbank invoice biometrics` prints the FAR/FRR table and writes the
// plot (a PNG).
func TestInvoiceBiometricsCLI(t *testing.T) {
	png := filepath.Join(t.TempDir(), "farfrr.png")
	out := mustRun(t, "invoice", "biometrics", "--persons", "20", "--plot", png)
	if !strings.Contains(out, "FAR") || !strings.Contains(out, "FRR") {
		t.Fatalf("no FAR/FRR table: %s", out)
	}
	b, err := os.ReadFile(png)
	if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("plot: %v", err)
	}
	if _, err := run(t, "invoice", "biometrics", "--persons", "-1"); !errors.Is(err, errUsage) {
		t.Fatalf("negative persons: %v", err)
	}
}

// The default `trustbank serve` (bank and tax) serves the tax system too;
// an unknown role is a usage error.
func TestServeRoles(t *testing.T) {
	base, _ := startServer(t, "--data", t.TempDir())
	c := &einvoicehttp.Client{Base: base}
	if _, chain, err := c.Info(context.Background()); err != nil || len(chain) != 2 {
		t.Fatalf("tax system on the default serve: %v", err)
	}
	if _, err := run(t, "serve", "--data", t.TempDir(), "--roles", "bank,seller"); !errors.Is(err, errUsage) {
		t.Fatalf("unknown role: %v", err)
	}
}

// checkExports exports the signed invoice in FILE as UBL, PDF and QR and
// reads each back with an independent tool: xmllint parses the UBL (and
// it names the invoice), pdftoppm renders the PDF (a page, not blank) and
// pdftotext finds the number and total in it, zbarimg decodes the QR code
// to the invoice's QR text.
func checkExports(t *testing.T, dir, file string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	sd, err := invoice.ParseJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	export := func(format string) []byte {
		out := filepath.Join(dir, "export."+format)
		mustRun(t, "invoice", "export", "--format", format, "--out", out, file)
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	ubl := export("ubl")
	doctest.XMLLint(t, ubl)
	if !bytes.Contains(ubl, []byte("<cbc:ID>"+sd.Invoice.Number+"</cbc:ID>")) {
		t.Fatalf("the UBL export does not name invoice %s:\n%s", sd.Invoice.Number, ubl)
	}
	pdf := export("pdf")
	if img := doctest.PDFToPPM(t, pdf); img != nil {
		if ink := doctest.InkFraction(img); ink < 0.01 || ink > 0.5 {
			t.Fatalf("the PDF export renders %.3f ink: blank or black", ink)
		}
	}
	if text, ok := doctest.PDFToText(t, pdf); ok {
		for _, w := range []string{sd.Invoice.Number, invoice.Yuan(sd.Invoice.Total)} {
			if !strings.Contains(text, w) {
				t.Fatalf("pdftotext finds no %q in the PDF export:\n%s", w, text)
			}
		}
	}
	want, err := sd.QRData()
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := qrtest.Zbar(t, "invoice export --format qr", export("qr")); ok && string(got) != want.String() {
		t.Fatalf("zbarimg reads %q from the QR export, want %q", got, want)
	}
}
