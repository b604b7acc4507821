package main

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/emmansun/gmsm/smx509"

	"trustbank/einvoice"
	"trustbank/einvoice/biometric"
	"trustbank/einvoice/einvoicehttp"
	"trustbank/einvoice/invoice"
	"trustbank/internal/atomicfile"
)

// appFile is the buyer's app state: the tax system, the root its invoices
// must chain to (pinned at registration), and the app's sealed state
// (einvoice.Buyer: the fuzzy extractor's helper and K_i and the identity
// sealed under the buyer's ID number and face).
type appFile struct {
	System string `json:"system"`
	Root   []byte `json:"root"` // DER
	State  []byte `json:"state"`
}

func runInvoice(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: trustbank invoice register|request|verify|export|biometrics [flags]")
		return fmt.Errorf("%w: invoice needs a subcommand", errUsage)
	}
	switch args[0] {
	case "register":
		return invoiceRegister(ctx, args[1:], stdout, stderr)
	case "request":
		return invoiceRequest(ctx, args[1:], stdout, stderr)
	case "verify":
		return invoiceVerify(args[1:], stdout, stderr)
	case "export":
		return invoiceExport(args[1:], stdout, stderr)
	case "biometrics":
		return invoiceBiometrics(args[1:], stdout, stderr)
	}
	return fmt.Errorf("%w: unknown invoice subcommand %q (register, request, verify, export, biometrics)", errUsage, args[0])
}

// faceFlags are the buyer's ID number and the two template files.
type faceFlags struct{ id, idPhoto, live *string }

func addFaceFlags(fs interface {
	String(name, value, usage string) *string
}) faceFlags {
	return faceFlags{
		id:      fs.String("id", "", "the buyer's resident ID number (18 characters)"),
		idPhoto: fs.String("id-photo", "", "feature template of the ID card's photo (JSON array or one number a line)"),
		live:    fs.String("live", "", "feature template of the live face, same format"),
	}
}

func (f faceFlags) read() (einvoice.EID, einvoice.Face, error) {
	eID, err := einvoice.ParseEID(*f.id)
	if err != nil {
		return eID, einvoice.Face{}, fmt.Errorf("%w: --id: %v", errUsage, err)
	}
	var face einvoice.Face
	for _, t := range []struct {
		path string
		out  *biometric.Template
	}{{*f.idPhoto, &face.IDPhoto}, {*f.live, &face.Live}} {
		if t.path == "" {
			return eID, face, fmt.Errorf("%w: --id-photo and --live are required", errUsage)
		}
		file, err := os.Open(t.path)
		if err != nil {
			return eID, face, err
		}
		*t.out, err = biometric.ReadTemplate(file)
		file.Close()
		if err != nil {
			return eID, face, fmt.Errorf("%s: %w", t.path, err)
		}
	}
	return eID, face, nil
}

// readRoot reads a PEM or DER certificate.
func readRoot(path string) (*smx509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if blk, _ := pem.Decode(b); blk != nil {
		b = blk.Bytes
	}
	c, err := smx509.ParseCertificate(b)
	if err != nil {
		return nil, fmt.Errorf("%s: not a certificate: %w", path, err)
	}
	return c, nil
}

// invoiceRegister registers the buyer: face check, Gen, online
// registration; the app's state goes to --app.
func invoiceRegister(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("invoice register", stderr)
	app := fs.String("app", "invoice-app.json", "the app's state file (created)")
	system := fs.String("system", "http://127.0.0.1:8080", "the tax e-invoice system's URL")
	rootPath := fs.String("root", "", "the root certificate invoices must chain to (the node's einvoice-root.pem)")
	ff := addFaceFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if _, err := os.Stat(*app); !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("invoice: %s already exists (one app state per buyer)", *app)
	}
	if *rootPath == "" {
		return fmt.Errorf("%w: --root is required", errUsage)
	}
	root, err := readRoot(*rootPath)
	if err != nil {
		return err
	}
	eID, face, err := ff.read()
	if err != nil {
		return err
	}
	c := &einvoicehttp.Client{Base: *system}
	pub, _, err := c.Info(ctx)
	if err != nil {
		return fmt.Errorf("invoice: tax system at %s: %w", *system, err)
	}
	cfg := einvoice.BuyerConfig{Root: root}
	req, pending, err := einvoice.NewBuyerRegistration(pub, eID, face, cfg)
	if err != nil {
		return err
	}
	resp, err := c.RegisterBuyer(ctx, req)
	if err != nil {
		return fmt.Errorf("invoice: registration: %w", err)
	}
	bu, err := pending.Finish(resp, cfg)
	if err != nil {
		return err
	}
	if err := saveApp(*app, &appFile{System: *system, Root: root.Raw}, bu); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "registered with %s; app state in %s (opens only with this ID number and face)\n", *system, *app)
	return nil
}

func saveApp(path string, f *appFile, bu *einvoice.Buyer) error {
	var err error
	if f.State, err = bu.MarshalBinary(); err != nil {
		return err
	}
	return atomicfile.WriteJSON(path, f)
}

func loadApp(path string) (*appFile, *einvoice.Buyer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("invoice: %w (run `trustbank invoice register` first)", err)
	}
	var f appFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, nil, fmt.Errorf("invoice: %s: %w", path, err)
	}
	root, err := smx509.ParseCertificate(f.Root)
	if err != nil {
		return nil, nil, fmt.Errorf("invoice: %s: root: %w", path, err)
	}
	bu, err := einvoice.LoadBuyer(f.State, einvoice.BuyerConfig{Root: root})
	if err != nil {
		return nil, nil, fmt.Errorf("invoice: %s: %w", path, err)
	}
	return &f, bu, nil
}

// invoiceRequest runs a session for an order at a seller and writes the
// invoice: messages 1 (after the face check and Rep), 4, and 5.
func invoiceRequest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("invoice request", stderr)
	app := fs.String("app", "invoice-app.json", "the app's state file")
	seller := fs.String("seller", "", "the seller's unified social credit code")
	orderNo := fs.String("order", "", "the order number at the seller")
	amount := fs.String("amount", "", "what was paid, tax included, in CNY (e.g. 36.00)")
	name := fs.String("name", "", "the invoice title: the buyer's name")
	taxID := fs.String("tax-id", "", "the buyer's taxpayer ID, for a business (optional)")
	out := fs.String("out", "invoice.json", "where to write the signed invoice (JSON)")
	ff := addFaceFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	sid, err := einvoice.ParseSID(*seller)
	if err != nil {
		return fmt.Errorf("%w: --seller: %v", errUsage, err)
	}
	fen, err := parseDecimal(*amount, 2)
	if err != nil {
		return fmt.Errorf("%w: --amount: %v", errUsage, err)
	}
	o := einvoice.Order{OrderNo: *orderNo, Amount: fen, BuyerName: *name, BuyerTaxID: *taxID}
	if err := o.Validate(); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	eID, face, err := ff.read()
	if err != nil {
		return err
	}
	f, bu, err := loadApp(*app)
	if err != nil {
		return err
	}
	req, ss, err := bu.Request(eID, face, sid, o)
	if err != nil {
		return err
	}
	c := &einvoicehttp.Client{Base: f.System}
	resp, err := c.Request(ctx, req)
	if err != nil {
		return fmt.Errorf("invoice: request: %w", err)
	}
	conf, sd, err := ss.Finish(resp)
	if err != nil {
		return err
	}
	// The refreshed identity is saved before the confirmation: a crash
	// now leaves an app that still works (the old identity stays valid
	// until the new one is used).
	if err := saveApp(*app, f, bu); err != nil {
		return err
	}
	if err := atomicfile.Write(*out, sd.JSON()); err != nil {
		return err
	}
	if err := c.Confirm(ctx, conf); err != nil {
		return fmt.Errorf("invoice: confirmation (the invoice is in %s): %w", *out, err)
	}
	fmt.Fprintf(stdout, "invoice %s: %s, total %s, issued %s; written to %s\n", sd.Invoice.Number, sd.Invoice.Seller.Name,
		cnyFen(sd.Invoice.Total), sd.Invoice.IssueDate, *out)
	return nil
}

// invoiceVerify checks a signed invoice offline against a root.
func invoiceVerify(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("invoice verify", stderr)
	rootPath := fs.String("root", "", "the root certificate (PEM or DER)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *rootPath == "" {
		return fmt.Errorf("%w: invoice verify --root ROOT FILE", errUsage)
	}
	root, err := readRoot(*rootPath)
	if err != nil {
		return err
	}
	b, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	sd, err := invoice.Verify(b, root)
	if err != nil {
		return fmt.Errorf("invoice: %s does not verify: %w", fs.Arg(0), err)
	}
	printInvoice(stdout, &sd.Invoice)
	fmt.Fprintln(stdout, "OK: signature and certificate chain verify, amounts recomputed")
	return nil
}

func printInvoice(w io.Writer, inv *invoice.Invoice) {
	fmt.Fprintf(w, "invoice %s of %s\nseller  %s (%s)\nbuyer   %s %s\n", inv.Number, inv.IssueDate, inv.Seller.Name, inv.Seller.TaxID, inv.Buyer.Name, inv.Buyer.TaxID)
	for _, it := range inv.Items {
		fmt.Fprintf(w, "  %-24s %8.3f %-4s × %s  amount %s  tax %d.%02d%% %s\n", it.Name, float64(it.Quantity)/1000, it.Unit,
			cnyFen(it.UnitPrice), cnyFen(it.Amount), it.TaxRate/100, it.TaxRate%100, cnyFen(it.Tax))
	}
	fmt.Fprintf(w, "amount %s  tax %s  total %s\n", cnyFen(inv.Amount), cnyFen(inv.Tax), cnyFen(inv.Total))
}

// invoiceExport writes a signed invoice in another format (it is
// verified-parsed first: a malformed file is refused).
func invoiceExport(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("invoice export", stderr)
	format := fs.String("format", "json", "json (canonical signed JSON), ubl (UBL 2.1 Invoice XML), pdf (printable page) or qr (PNG of the QR code)")
	out := fs.String("out", "", "output file (default: standard output)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: invoice export --format F [--out FILE] FILE", errUsage)
	}
	b, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	sd, err := invoice.ParseJSON(b)
	if err != nil {
		return fmt.Errorf("invoice: %s: %w", fs.Arg(0), err)
	}
	var data []byte
	switch *format {
	case "json":
		data = sd.JSON()
	case "ubl":
		data, err = sd.UBL()
	case "pdf":
		data, err = sd.PDF() // with the CJK font if the machine has one (invoice.CJKFont)
	case "qr":
		data, err = sd.QR()
	default:
		return fmt.Errorf("%w: --format %q: want json, ubl, pdf or qr", errUsage, *format)
	}
	if err != nil {
		return fmt.Errorf("invoice export %s: %w", *format, err)
	}
	if *out == "" {
		_, err = stdout.Write(data)
		return err
	}
	return atomicfile.Write(*out, data)
}

// invoiceBiometrics prints the FAR/FRR table and writes the plot.
func invoiceBiometrics(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("invoice biometrics", stderr)
	plot := fs.String("plot", "", "write the FAR/FRR plot (PNG) to this file")
	persons := fs.Int("persons", 0, "synthetic persons (default: biometric's default)")
	seed := fs.Int64("seed", 1, "seed of the synthetic population")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *persons < 0 {
		return fmt.Errorf("%w: --persons must be positive", errUsage)
	}
	ev, err := biometric.Evaluate(*seed, biometric.EvalOptions{Persons: *persons})
	if err != nil {
		return err
	}
	if err := ev.Table(stdout); err != nil {
		return err
	}
	if *plot != "" {
		return ev.PlotPNG(*plot)
	}
	return nil
}
