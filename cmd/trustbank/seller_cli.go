package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"trustbank/einvoice"
	"trustbank/einvoice/einvoicehttp"
	"trustbank/einvoice/invoice"
	"trustbank/internal/atomicfile"
	"trustbank/internal/httpapi"
)

// sellerFile is a seller's state in its directory: its identity, the tax
// system it registered with, K_j (hex; the file is 0600, like a node's
// secrets.json) and the token of its order-book endpoints. Its order book
// is seller.db next to it.
type sellerFile struct {
	SID        string `json:"sid"`
	Name       string `json:"name"`
	System     string `json:"system"`
	Endpoint   string `json:"endpoint"`
	Key        []byte `json:"key"`
	AdminToken string `json:"admin_token"`
}

const sellerStateFile = "seller.json"

func runSeller(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: trustbank seller init|order|serve [flags]")
		return fmt.Errorf("%w: seller needs a subcommand", errUsage)
	}
	switch args[0] {
	case "init":
		return sellerInit(ctx, args[1:], stdout, stderr)
	case "order":
		return sellerOrder(ctx, args[1:], stdout, stderr)
	case "serve":
		return sellerServe(ctx, args[1:], stdout, stderr)
	}
	return fmt.Errorf("%w: unknown seller subcommand %q (init, order, serve)", errUsage, args[0])
}

// sellerInit registers a seller with the tax system and writes its state.
func sellerInit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("seller init", stderr)
	dir := fs.String("dir", "seller", "the seller's directory (state and order book)")
	system := fs.String("system", "http://127.0.0.1:8080", "the tax e-invoice system's URL")
	sid := fs.String("sid", "", "the seller's unified social credit code (18 characters)")
	name := fs.String("name", "", "the seller's name on invoices")
	endpoint := fs.String("endpoint", "http://127.0.0.1:8091", "where the tax system reaches this seller's invoicing server (seller serve)")
	if err := parse(fs, args); err != nil {
		return err
	}
	id, err := einvoice.ParseSID(*sid)
	if err != nil {
		return fmt.Errorf("%w: --sid: %v", errUsage, err)
	}
	if *name == "" || *endpoint == "" {
		return fmt.Errorf("%w: --name and --endpoint are required", errUsage)
	}
	path := filepath.Join(*dir, sellerStateFile)
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("seller: %s already exists (a seller registers once)", path)
	}
	c := &einvoicehttp.Client{Base: *system}
	pub, _, err := c.Info(ctx)
	if err != nil {
		return fmt.Errorf("seller: tax system at %s: %w", *system, err)
	}
	req, pending, err := einvoice.NewSellerRegistration(pub, id, *endpoint, time.Now())
	if err != nil {
		return err
	}
	resp, err := c.RegisterSeller(ctx, req)
	if err != nil {
		return fmt.Errorf("seller: registration: %w", err)
	}
	kj, err := pending.Finish(resp)
	if err != nil {
		return err
	}
	st := sellerFile{SID: id.String(), Name: *name, System: *system, Endpoint: *endpoint, Key: kj[:], AdminToken: randHex(32)}
	if err := atomicfile.WriteJSON(path, &st); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "seller %s (%s) registered with %s; invoicing server to run at %s\n", id, *name, *system, *endpoint)
	return nil
}

// openSeller reads a seller's state and opens its order book.
func openSeller(ctx context.Context, dir string) (*sellerFile, *localSeller, error) {
	b, err := os.ReadFile(filepath.Join(dir, sellerStateFile))
	if err != nil {
		return nil, nil, fmt.Errorf("seller: %w (run `trustbank seller init` first)", err)
	}
	var st sellerFile
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, nil, fmt.Errorf("seller: %s: %w", sellerStateFile, err)
	}
	sid, err := einvoice.ParseSID(st.SID)
	if err != nil || len(st.Key) != einvoice.KeyLen {
		return nil, nil, fmt.Errorf("seller: %s is damaged", sellerStateFile)
	}
	s, err := newLocalSeller(ctx, dir, sid, st.Name, [einvoice.KeyLen]byte(st.Key))
	return &st, s, err
}

// parseItem reads "name|unit|quantity|unit price|tax rate": quantity in
// units (up to 3 decimals), unit price in CNY (up to 2 decimals), tax rate
// in percent, e.g. "*餐饮服务*咖啡|杯|2|18.00|6".
func parseItem(s string) (invoice.Item, error) {
	f := strings.Split(s, "|")
	if len(f) != 5 {
		return invoice.Item{}, fmt.Errorf("%w: item %q: want name|unit|quantity|unit price|tax rate%%", errUsage, s)
	}
	q, err1 := parseDecimal(f[2], 3)
	p, err2 := parseDecimal(f[3], 2)
	r, err3 := parseDecimal(f[4], 2)
	if err := errors.Join(err1, err2, err3); err != nil {
		return invoice.Item{}, fmt.Errorf("%w: item %q: %v", errUsage, s, err)
	}
	return invoice.Item{Name: f[0], Unit: f[1], Quantity: q, UnitPrice: p, TaxRate: r}, nil
}

// parseDecimal reads a non-negative decimal with at most places decimals
// as an integer of 10^-places units.
func parseDecimal(s string, places int) (int64, error) {
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > places || whole == "" {
		return 0, fmt.Errorf("%q: at most %d decimals", s, places)
	}
	frac += strings.Repeat("0", places-len(frac))
	v, err := strconv.ParseUint(whole+frac, 10, 62)
	if err != nil {
		return 0, fmt.Errorf("%q is not a non-negative number", s)
	}
	return int64(v), nil
}

type itemFlags []invoice.Item

func (f *itemFlags) String() string { return fmt.Sprint(len(*f), " items") }
func (f *itemFlags) Set(s string) error {
	it, err := parseItem(s)
	if err != nil {
		return err
	}
	*f = append(*f, it)
	return nil
}

// sellerOrder adds a paid order to the seller's book.
func sellerOrder(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("seller order", stderr)
	dir := fs.String("dir", "seller", "the seller's directory")
	no := fs.String("no", "", "the order number")
	var items itemFlags
	fs.Var(&items, "item", "an item: name|unit|quantity|unit price CNY|tax rate % (repeat for more)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *no == "" || len(items) == 0 {
		return fmt.Errorf("%w: --no and at least one --item are required", errUsage)
	}
	_, s, err := openSeller(ctx, *dir)
	if err != nil {
		return err
	}
	defer s.Close()
	total, err := s.AddOrder(ctx, *no, items)
	if err != nil {
		return fmt.Errorf("seller: order %s: %w", *no, err)
	}
	fmt.Fprintf(stdout, "order %s: %d items, total %s (tax included)\n", *no, len(items), cnyFen(total))
	return nil
}

func cnyFen(fen int64) string { return fmt.Sprintf("%d.%02d CNY", fen/100, fen%100) }

// sellerServe runs the seller's invoicing server (messages 2, 3 and 6, and
// its order book for the shop's systems).
func sellerServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("seller serve", stderr)
	dir := fs.String("dir", "seller", "the seller's directory")
	cfg := httpapi.DefaultServerConfig("127.0.0.1:8091")
	cfg.AddFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	st, s, err := openSeller(ctx, *dir)
	if err != nil {
		return err
	}
	defer s.Close()
	ln, err := httpapi.Listen(cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "trustbank seller %s: listening on http://%s\n", st.SID, ln.Addr())
	return httpapi.Serve(ctx, cfg, ln, einvoicehttp.NewSellerHandler(s.Seller, st.AdminToken, nil))
}
