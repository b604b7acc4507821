package einvoicetest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"trustbank/einvoice"
	"trustbank/einvoice/einvoicehttp"
	"trustbank/einvoice/invoice"
)

// Tap is an HTTP client whose connections are recorded, every byte both
// ways (an eavesdropper on the wire), and whose requests can be made to
// fail on purpose (Fail).
type Tap struct {
	mu    sync.Mutex
	wire  bytes.Buffer
	sent  map[string]int // requests sent, by path
	fault map[string]Fault
}

// Fault is what happens to a request on a path.
type Fault int

const (
	// NoFault sends the request and returns the answer.
	NoFault Fault = iota
	// Refuse fails the request without sending it (the peer is down).
	Refuse
	// DropAnswer sends the request, lets the server finish it, and
	// fails with the answer lost (a connection cut after the message).
	DropAnswer
)

// ErrFault is the error of a request failed on purpose.
var ErrFault = errors.New("einvoicetest: connection cut by the test")

// NewTap returns a tap with no faults.
func NewTap() *Tap { return &Tap{sent: map[string]int{}, fault: map[string]Fault{}} }

// Fail sets the fault of path (NoFault clears it).
func (tp *Tap) Fail(path string, f Fault) {
	tp.mu.Lock()
	tp.fault[path] = f
	tp.mu.Unlock()
}

// Sent counts the requests sent to path.
func (tp *Tap) Sent(path string) int {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return tp.sent[path]
}

// Wire returns a copy of every byte recorded so far.
func (tp *Tap) Wire() []byte {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return bytes.Clone(tp.wire.Bytes())
}

// Client is an HTTP client over the tap.
func (tp *Tap) Client() *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &tapConn{Conn: c, tp: tp}, nil
	}}
	return &http.Client{Transport: &faultTransport{tp: tp, next: tr}, Timeout: 30 * time.Second}
}

type tapConn struct {
	net.Conn
	tp *Tap
}

func (c *tapConn) record(b []byte) {
	c.tp.mu.Lock()
	c.tp.wire.Write(b)
	c.tp.mu.Unlock()
}

func (c *tapConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.record(b[:n])
	return n, err
}

func (c *tapConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.record(b[:n])
	return n, err
}

type faultTransport struct {
	tp   *Tap
	next http.RoundTripper
}

func (f *faultTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	f.tp.mu.Lock()
	fault := f.tp.fault[r.URL.Path]
	if fault != Refuse {
		f.tp.sent[r.URL.Path]++
	}
	f.tp.mu.Unlock()
	switch fault {
	case Refuse:
		return nil, ErrFault
	case DropAnswer:
		resp, err := f.next.RoundTrip(r)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return nil, ErrFault
	}
	return f.next.RoundTrip(r)
}

// Net is the three parties over loopback HTTP: the system and each seller
// as real HTTP servers, the buyer's app as a client. BuyerTap records the
// buyer–system link, SellerTap the system–seller link.
type Net struct {
	*Env
	AdminToken string
	SystemURL  string
	BuyerTap   *Tap
	SellerTap  *Tap
	Client     *einvoicehttp.Client // the buyer's, through BuyerTap
	// Link is the system's link to sellers: HTTP through SellerTap, with
	// a Recorder in front (an on-path attacker's position).
	Link   *Recorder
	system atomic.Pointer[http.Handler]
}

// StartHTTP starts a system as an HTTP server (opts.Link is ignored: the
// system reaches sellers over HTTP through Link and SellerTap).
func StartHTTP(t testing.TB, opts Options) *Net {
	n := &Net{AdminToken: "einvoice-test-admin", BuyerTap: NewTap(), SellerTap: NewTap()}
	n.Link = &Recorder{Link: &einvoicehttp.SellerLink{HTTP: n.SellerTap.Client()}}
	opts.Link = n.Link
	n.Env = New(t, opts)
	n.setSystem()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*n.system.Load()).ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	n.SystemURL = srv.URL
	n.Client = &einvoicehttp.Client{Base: srv.URL, HTTP: n.BuyerTap.Client(), AdminToken: n.AdminToken}
	return n
}

func (n *Net) setSystem() {
	h := einvoicehttp.NewSystemHandler(n.System, n.AdminToken, nil)
	n.system.Store(&h)
}

// Restart restarts the system on its database behind the same URL.
func (n *Net) Restart(t testing.TB) {
	n.Env.Restart(t)
	n.setSystem()
}

// SellerNode is a seller's invoicing server.
type SellerNode struct {
	Seller *einvoice.Seller
	URL    string
	Store  *einvoice.SQLStore
	Admin  *einvoicehttp.SellerClient
}

// AddSeller starts seller n's invoicing server and registers it with the
// system over HTTP.
func (n *Net) AddSeller(t testing.TB, num int, name string) *SellerNode {
	var h atomic.Pointer[http.Handler]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*h.Load()).ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	ctx := context.Background()
	pub, _, err := n.Client.Info(ctx)
	must(t, err)
	sid := SID(t, num)
	req, pending, err := einvoice.NewSellerRegistration(pub, sid, srv.URL, n.Clock.Now())
	must(t, err)
	resp, err := n.Client.RegisterSeller(ctx, req)
	must(t, err)
	kj, err := pending.Finish(resp)
	must(t, err)
	node := &SellerNode{URL: srv.URL, Store: n.NewSellerStore(t)}
	node.Seller, err = einvoice.NewSeller(einvoice.SellerConfig{SID: sid, Name: name, Key: kj, Store: node.Store, Now: n.Clock.Now})
	must(t, err)
	handler := einvoicehttp.NewSellerHandler(node.Seller, n.AdminToken, nil)
	h.Store(&handler)
	node.Admin = &einvoicehttp.SellerClient{Base: srv.URL, AdminToken: n.AdminToken}
	return node
}

// Register registers p over HTTP and keeps the app.
func (n *Net) Register(t testing.TB, p *Person) *einvoice.Buyer {
	ctx := context.Background()
	pub, _, err := n.Client.Info(ctx)
	must(t, err)
	req, pending, err := einvoice.NewBuyerRegistration(pub, p.EID, p.Face(), n.BuyerConfig())
	must(t, err)
	resp, err := n.Client.RegisterBuyer(ctx, req)
	must(t, err)
	p.App, err = pending.Finish(resp, n.BuyerConfig())
	must(t, err)
	return p.App
}

// Invoice runs a whole session for p over HTTP: messages 1 and 4, then 5.
func (n *Net) Invoice(ctx context.Context, p *Person, sid einvoice.SID, o einvoice.Order) (*invoice.Signed, error) {
	req, ss, err := p.App.Request(p.EID, p.Face(), sid, o)
	if err != nil {
		return nil, err
	}
	resp, err := n.Client.Request(ctx, req)
	if err != nil {
		return nil, err
	}
	conf, sd, err := ss.Finish(resp)
	if err != nil {
		return nil, err
	}
	return sd, n.Client.Confirm(ctx, conf)
}
