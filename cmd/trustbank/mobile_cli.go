package main

import (
	"context"
	"crypto/x509/pkix"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"trustbank/internal/atomicfile"
	"trustbank/shield/bank"
	"trustbank/shield/bank/bankhttp"
	"trustbank/shield/ca/cert"
	"trustbank/shield/card"
	"trustbank/shield/card/pcsc"
	"trustbank/shield/middleware"
)

// runMobile: the secure-element banking app (seed 002) on the command
// line. enroll binds the card to an account (password, operator's code,
// the card's key and PKCS#10, the CA's certificate stored in the card);
// login and transfer use the certificate; admin open|code|revoke are the
// operator's steps. The card is used in process through its state file,
// or through a PC/SC reader (--reader).
func runMobile(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return subcommands(ctx, "mobile", args, stdout, stderr, map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"enroll": mobileEnroll, "login": mobileLogin, "transfer": mobileTransfer, "admin": mobileAdmin,
	})
}

// mobileFile is the app's state: the bank, the account, the PKI pinned
// at enrollment (trust on first use) and where the card and the sandbox
// file (the phone's half of the dispersed host keys) are.
type mobileFile struct {
	Server  string `json:"server"`
	Account string `json:"account"`
	Root    []byte `json:"root"`
	Issuing []byte `json:"issuing"`
	Cert    []byte `json:"server_cert"`
	Card    string `json:"card"`
	Reader  string `json:"reader,omitempty"`
	Sandbox string `json:"sandbox"`
	// Confirm is an enrollment confirmation (bank.EnrollConfirm) the bank
	// did not acknowledge: sent again before the next login, and dropped
	// once a login succeeds (which binds the certificate anyway).
	Confirm []byte `json:"pending_confirm,omitempty"`

	path string // where it was read from
}

// pinned parses the pinned certificates.
func (f *mobileFile) pinned() (root, issuing, server *smx509.Certificate, err error) {
	var cs [3]*smx509.Certificate
	for i, der := range [][]byte{f.Root, f.Issuing, f.Cert} {
		if cs[i], err = smx509.ParseCertificate(der); err != nil {
			return nil, nil, nil, fmt.Errorf("pinned certificate: %w", err)
		}
	}
	return cs[0], cs[1], cs[2], nil
}

// app is an open session of the banking app: the bank's client, the
// middleware in front of the card and the device role over it.
type app struct {
	f      *mobileFile
	client *bankhttp.Client
	mw     *middleware.Middleware
	dev    *bank.Device
	closer io.Closer // the PC/SC reader, if any

	completed bool // a login completed an enrollment whose confirmation was lost
}

// transport returns the card: in process over its state file, or the
// first PC/SC reader whose name starts with f.Reader.
func (f *mobileFile) transport() (card.Transport, io.Closer, error) {
	if f.Reader != "" {
		r, err := pcsc.Connect(f.Reader, 5*time.Second)
		return r, r, err
	}
	c, err := card.Open(card.FileStore{Path: f.Card})
	return c, nil, err
}

// openApp opens the middleware over the card with the sandbox file.
func openApp(f *mobileFile) (*app, error) {
	root, issuing, srv, err := f.pinned()
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(f.Sandbox)
	if err != nil {
		return nil, err
	}
	var sb middleware.Sandbox
	if err := sb.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("%s: %w", f.Sandbox, err)
	}
	t, closer, err := f.transport()
	if err != nil {
		return nil, err
	}
	mw, err := middleware.Open(middleware.Config{Transport: t, Sandbox: &sb, Root: root, Issuing: []*smx509.Certificate{issuing}})
	if err != nil {
		closeQuietly(closer)
		return nil, err
	}
	roots, mids := smx509.NewCertPool(), smx509.NewCertPool()
	roots.AddCert(root)
	mids.AddCert(issuing)
	return &app{f: f, client: &bankhttp.Client{Base: f.Server}, mw: mw, closer: closer,
		dev: &bank.Device{Card: mw, Trust: bank.Trust{Roots: roots, Intermediates: mids}, Server: srv, Now: time.Now}}, nil
}

func closeQuietly(c io.Closer) {
	if c != nil {
		c.Close()
	}
}

func (a *app) Close() {
	a.mw.Close()
	closeQuietly(a.closer)
}

// unlock presents the PIN; a wrong one says how many tries are left.
func (a *app) unlock(pin string) error {
	err := a.mw.VerifyPIN([]byte(pin))
	if pe, ok := errors.AsType[*middleware.PINError](err); ok {
		return fmt.Errorf("the card refused the PIN: %d tries left: %w", pe.TriesLeft, err)
	}
	return err
}

// login runs certificate login (the card signs the server's challenge).
// An enrollment whose confirmation was lost is completed first by
// sending it again, and in any case by the login, which the bank
// accepts with the new key and binds its certificate; the saved
// confirmation is then dropped.
func (a *app) login(ctx context.Context) (*bank.Session, error) {
	settling := a.settle(ctx)
	ch, err := a.client.Challenge(ctx, a.f.Account)
	if err != nil {
		return nil, err
	}
	resp, err := a.dev.AnswerLogin(ch)
	if err != nil {
		return nil, err
	}
	ses, err := a.client.Login(ctx, resp)
	if err != nil || !settling {
		return ses, err
	}
	a.f.Confirm, a.completed = nil, true
	return ses, saveJSON(a.f.path, a.f)
}

func mobileEnroll(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("mobile enroll", stderr)
	state := fs.String("state", "mobile.json", "the app's state file (created)")
	f := &mobileFile{}
	fs.StringVar(&f.Server, "server", "http://127.0.0.1:8080", "trustbank server")
	fs.StringVar(&f.Account, "account", "", "your account")
	fs.StringVar(&f.Card, "card", "card.json", "the card's state file (trustbank card init)")
	fs.StringVar(&f.Reader, "reader", "", "use the card through the PC/SC reader whose name starts with this")
	fs.StringVar(&f.Sandbox, "sandbox", "mobile-sandbox.bin", "the sandbox file: made from --host on first use, then the host keys are not needed")
	hostPath := fs.String("host", "card-host.json", "the host keys from trustbank card init (read only to make the sandbox file)")
	password := fs.String("password", "", "your account password")
	code := fs.String("code", "", "the enrollment code the bank gave you")
	idCard := fs.String("id-card", "", "your resident ID number (optional: the certificate carries the one the bank recorded, and a different one is refused)")
	pin := fs.String("pin", "", "the card's PIN")
	if err := parse(fs, args); err != nil {
		return err
	}
	if f.Account == "" || *password == "" || *code == "" || *pin == "" {
		return fmt.Errorf("%w: mobile enroll needs --account, --password, --code and --pin", errUsage)
	}
	if _, err := os.Stat(*state); err == nil {
		return fmt.Errorf("%w: %s exists; this app is enrolled already", errUsage, *state)
	}
	if err := pinPKI(ctx, f); err != nil {
		return err
	}
	if err := ensureSandbox(f, *hostPath, *pin); err != nil {
		return err
	}
	a, err := openApp(f)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.unlock(*pin); err != nil {
		return err
	}
	leaf, err := a.enroll(ctx, *password, *code, *idCard)
	if lost, ok := errors.AsType[*lostConfirm](err); ok {
		return lost.save(f, *state)
	}
	if err != nil {
		return err
	}
	if err := saveJSON(*state, f); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "enrolled %s: certificate serial %s, %q, issued by %q, stored in the card\npinned the bank's PKI in %s\n",
		f.Account, leaf.SerialNumber, leaf.Subject.CommonName, leaf.Issuer.CommonName, *state)
	return nil
}

// pinPKI fetches the root, issuing and server certificates: trust on
// first use; they are pinned in the state file from then on.
func pinPKI(ctx context.Context, f *mobileFile) error {
	root, issuing, srv, err := (&bankhttp.Client{Base: f.Server}).PKI(ctx)
	if err != nil {
		return err
	}
	f.Root, f.Issuing, f.Cert = root.Raw, issuing.Raw, srv.Raw
	return nil
}

// ensureSandbox disperses the card's host keys (middleware.Provision)
// into the sandbox file unless it exists; the card is given the pinned
// root's key then, which it checks every certificate it installs against.
func ensureSandbox(f *mobileFile, hostPath, pin string) error {
	if _, err := os.Stat(f.Sandbox); err == nil {
		return nil
	}
	var hf hostFile
	if err := loadJSON(hostPath, &hf); err != nil {
		return err
	}
	host, err1 := sm2.NewPrivateKey(hf.HostKey)
	pub, err2 := sm2.NewPublicKey(hf.CardPublic)
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("%s: %w", hostPath, err)
	}
	defer host.D.SetInt64(0)
	t, closer, err := f.transport()
	if err != nil {
		return err
	}
	defer closeQuietly(closer)
	root, err := smx509.ParseCertificate(f.Root)
	if err != nil {
		return err
	}
	sb, err := middleware.Provision(t, card.HostKeys{Host: host, SMKey: hf.SMKey}, pub, root, pin, middleware.DefaultDispersal)
	if err != nil {
		return err
	}
	b, err := sb.MarshalBinary()
	if err != nil {
		return err
	}
	return atomicfile.Write(f.Sandbox, b)
}

// enroll runs enrollment: password session, the card's key and PKCS#10
// with the code, the CA's P7 checked and stored by the card, the card's
// confirmation. It returns the certificate. The new key is pending on the
// card until the certificate is stored, so enrolling an enrolled card
// again is safe: if anything fails on the way (a wrong code, the network)
// the card keeps its enrolled key and certificate.
func (a *app) enroll(ctx context.Context, password, code, idCard string) (*smx509.Certificate, error) {
	ses, err := a.client.PasswordLogin(ctx, &bank.PasswordLogin{Account: a.f.Account, Password: password})
	if err != nil {
		return nil, err
	}
	subject := pkix.Name{CommonName: a.f.Account}
	if idCard != "" {
		subject.SerialNumber = cert.SubjectSerial(idCard)
	}
	req, err := a.dev.EnrollRequest(ses, code, subject)
	if err != nil {
		return nil, err
	}
	resp, err := a.client.Enroll(ctx, req)
	if err != nil {
		return nil, err
	}
	pending, err := a.mw.PendingKey()
	if err != nil {
		return nil, err
	}
	conf, err := a.dev.FinishEnrollment(ctx, pending, resp)
	if err != nil {
		if conf != nil {
			a.client.ConfirmEnrollment(ctx, conf) // tell the bank it failed; the error that matters is err
		}
		return nil, err
	}
	if err := a.client.ConfirmEnrollment(ctx, conf); err != nil {
		return nil, &lostConfirm{conf: conf, err: err}
	}
	der, err := a.mw.Certificate()
	if err != nil {
		return nil, err
	}
	return smx509.ParseCertificate(der)
}

// lostConfirm is a confirmation the bank did not acknowledge after the
// card had stored the certificate and switched to the new key.
type lostConfirm struct {
	conf *bank.EnrollConfirm
	err  error
}

func (e *lostConfirm) Error() string {
	return "the card stored the new certificate and now signs with its new key, but the bank did not acknowledge the confirmation: " + e.err.Error()
}

func (e *lostConfirm) Unwrap() error { return e.err }

// save writes the app's state with the confirmation to send again, and
// returns the error that tells the user what happened and what to do.
func (e *lostConfirm) save(f *mobileFile, state string) error {
	b, err := e.conf.MarshalBinary()
	if err == nil {
		f.Confirm = b
		err = saveJSON(state, f)
	}
	if err != nil {
		return fmt.Errorf("%w (and saving %s failed: %v; the next login with this card still completes the enrollment)", e, state, err)
	}
	return fmt.Errorf("%w\nthe enrollment is not lost: run `trustbank mobile login --state %s`; it sends the confirmation again, and the login itself, signed with the new key, completes the enrollment", e, state)
}

// settle sends a saved confirmation again (its outcome does not matter:
// the login that follows binds the certificate too). It reports whether
// there was one.
func (a *app) settle(ctx context.Context) bool {
	if a.f.Confirm == nil {
		return false
	}
	var conf bank.EnrollConfirm
	if conf.UnmarshalBinary(a.f.Confirm) == nil {
		a.client.ConfirmEnrollment(ctx, &conf)
	}
	return true
}

// loadMobile reads the state file of an enrolled app.
func loadMobile(path string) (*mobileFile, error) {
	var f mobileFile
	if err := loadJSON(path, &f); err != nil {
		return nil, err
	}
	if f.Account == "" || f.Sandbox == "" {
		return nil, fmt.Errorf("%w: %s is not an enrolled app's state (run mobile enroll)", errUsage, path)
	}
	f.path = path
	return &f, nil
}

func mobileLogin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("mobile login", stderr)
	state := fs.String("state", "mobile.json", "the app's state file")
	pin := fs.String("pin", "", "the card's PIN (the card signs the challenge)")
	if err := parse(fs, args); err != nil {
		return err
	}
	f, err := loadMobile(*state)
	if err != nil {
		return err
	}
	a, err := openApp(f)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.unlock(*pin); err != nil {
		return err
	}
	ses, err := a.login(ctx)
	if err != nil {
		return err
	}
	if a.completed {
		fmt.Fprintf(stdout, "completed the enrollment: the bank now binds the card's new certificate\n")
	}
	fmt.Fprintf(stdout, "logged in to %s: session level %s, expires %s\n", ses.Account, ses.Level, ses.Expires.Format(time.RFC3339))
	return nil
}

func mobileTransfer(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("mobile transfer", stderr)
	state := fs.String("state", "mobile.json", "the app's state file")
	p := bank.Payment{}
	fs.StringVar(&p.Payee, "to", "", "the payee's account")
	fs.StringVar(&p.PayeeName, "name", "", "the payee's name (default: the account)")
	fs.Uint64Var(&p.Amount, "amount", 0, "amount in fen")
	pin := fs.String("pin", "", "the card's PIN")
	if err := parse(fs, args); err != nil {
		return err
	}
	if p.Payee == "" || p.Amount == 0 {
		return fmt.Errorf("%w: mobile transfer needs --to and --amount", errUsage)
	}
	if p.PayeeName == "" {
		p.PayeeName = p.Payee
	}
	f, err := loadMobile(*state)
	if err != nil {
		return err
	}
	p.Account = f.Account
	a, err := openApp(f)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.unlock(*pin); err != nil {
		return err
	}
	r, err := a.pay(ctx, p, *pin)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "receipt %x: %s → %s %s, signed at level %s; day %s total %s; balance %s; at %s\n",
		r.ID, r.Account, r.Payee, cny2(r.Amount), r.Level, r.Day, cny2(r.DayTotal), cny2(r.Balance), r.At.Format(time.RFC3339))
	return nil
}

// pay runs a card-signed transfer: certificate login, pre-submit, the
// card opens the sealed order (checked against the payment), PIN, the
// card signs, confirm.
func (a *app) pay(ctx context.Context, p bank.Payment, pin string) (*bank.Receipt, error) {
	ses, err := a.login(ctx)
	if err != nil {
		return nil, err
	}
	pre := &bank.PreSubmit{Session: ses.Token, Payment: p}
	resp, err := a.client.PreSubmit(ctx, pre)
	if err != nil {
		return nil, err
	}
	o, err := a.dev.OpenOrder(pre, resp)
	if err != nil {
		return nil, err
	}
	conf, err := a.dev.SignOrder(o, []byte(pin))
	if err != nil {
		return nil, err
	}
	return a.client.Confirm(ctx, conf)
}

// mobileAdmin: the bank operator's steps, over the operator endpoints.
func mobileAdmin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return subcommands(ctx, "mobile admin", args, stdout, stderr, map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"open": mobileAdminOpen, "code": mobileAdminCode, "revoke": mobileAdminRevoke,
	})
}

func adminFlags(name string, stderr io.Writer) *flagSetClient {
	fs := newFlagSet(name, stderr)
	c := &flagSetClient{fs: fs, c: &bankhttp.Client{}}
	fs.StringVar(&c.c.Base, "server", "http://127.0.0.1:8080", "trustbank server")
	fs.StringVar(&c.c.AdminToken, "admin-token", os.Getenv("TRUSTBANK_ADMIN_TOKEN"), "the bank operator's admin token")
	fs.StringVar(&c.account, "account", "", "the account")
	return c
}

// flagSetClient is an operator subcommand's flags and client.
type flagSetClient struct {
	fs      *flag.FlagSet
	c       *bankhttp.Client
	account string
}

func mobileAdminOpen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	a := adminFlags("mobile admin open", stderr)
	owner := a.fs.String("owner", "", "the account holder's name")
	idCard := a.fs.String("id-card", "", "the holder's resident ID number (18 characters, GB 11643 check character)")
	password := a.fs.String("password", "", "the initial password")
	balance := a.fs.Uint64("balance", 0, "opening balance in fen (paid in at the counter)")
	if err := parse(a.fs, args); err != nil {
		return err
	}
	if err := a.c.OpenAccount(ctx, a.account, *owner, *idCard, *password, *balance); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "opened %s for %s with %s\n", a.account, *owner, cny2(*balance))
	return nil
}

func mobileAdminCode(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	a := adminFlags("mobile admin code", stderr)
	if err := parse(a.fs, args); err != nil {
		return err
	}
	code, err := a.c.IssueAuthCode(ctx, a.account)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, code)
	return nil
}
