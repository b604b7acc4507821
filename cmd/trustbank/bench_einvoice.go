package main

import (
	"context"
	"encoding"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"

	"trustbank/einvoice"
	"trustbank/einvoice/einvoicetest"
	"trustbank/einvoice/invoice"
	"trustbank/internal/node"
)

// einvClients is how many buyers have a session in flight at once: on two
// cores one session's cryptography overlaps another's commit, and the
// commits of concurrent sessions share one fsync (group commit). Each
// session waits for four commits (the seller's S_e, the system's
// issuance and confirmation, the seller's notice), so the cores idle
// unless enough sessions are in flight: with the compact store 128 kept
// 1.78 of the 2 cores busy and 256 about 1.85. The system's commit loop
// is busy less than half the time now.
const einvClients = 256

// einvBench is a tax system (a tax-only node: SQLite, synchronous=FULL,
// group-committed replay cache) and one seller on its own SQLite
// database, both in this process (the system reaches the seller through
// einvoice.LocalSellers), and einvClients registered buyers. Every session
// needs a fresh order: Prepare fills the seller's book untimed.
type einvBench struct {
	ctx     context.Context
	n       *node.Node
	seller  *localSeller
	tap     *einvTap
	signed  *invoice.Signed // the invoice of the first session
	clients chan *einvClient
	orders  chan einvoice.Order
	seq     atomic.Int64
	total   int64
	sizes   map[string]int // message → bytes
	// lastSizes are the ciphertexts' lengths in the measured session.
	lastSizes map[string]int
	closers   []func()
}

type einvClient struct {
	eID  einvoice.EID
	face einvoice.Face
	app  *einvoice.Buyer
}

const einvShop = "local:shop"

// einvEID is a valid resident ID number numbered i.
func einvEID(i int) einvoice.EID {
	base := fmt.Sprintf("11010519900101%03d", i%1000)
	for _, c := range "0123456789X" {
		if e, err := einvoice.ParseEID(base + string(c)); err == nil {
			return e
		}
	}
	panic("no check character for " + base)
}

// einvSID is a valid unified social credit code numbered i.
func einvSID(i int) einvoice.SID {
	base := fmt.Sprintf("91110108MA%07d", i%10_000_000)
	for _, c := range "0123456789ABCDEFGHJKLMNPQRTUWXY" {
		if s, err := einvoice.ParseSID(base + string(c)); err == nil {
			return s
		}
	}
	panic("no check character for " + base)
}

func newEinvBench(ctx context.Context) (*einvBench, error) {
	dir, err := os.MkdirTemp("", "trustbank-bench-einvoice-")
	if err != nil {
		return nil, err
	}
	b := &einvBench{ctx: ctx, closers: []func(){func() { os.RemoveAll(dir) }}, sizes: map[string]int{}}
	b.tap = &einvTap{LocalSellers: einvoice.LocalSellers{}}
	if b.n, err = node.Open(ctx, node.Config{DataDir: dir, TaxOnly: true, EinvoiceLink: b.tap}); err != nil {
		return nil, b.fail(err)
	}
	b.closers = append(b.closers, func() { b.n.Close() })
	if b.seller, err = openLocalSeller(ctx, b.n.Einvoice.System, dir, einvSID(1), "北京示例科技有限公司", einvShop); err != nil {
		return nil, b.fail(err)
	}
	b.closers = append(b.closers, b.seller.Close)
	b.tap.LocalSellers[einvShop] = b.seller.Seller
	b.clients = make(chan *einvClient, einvClients)
	for i := range einvClients {
		c := &einvClient{eID: einvEID(i), face: newSyntheticFace(uint64(i)).face()}
		if c.app, err = registerBuyer(ctx, b.n.Einvoice.System, c.eID, c.face, b.buyerConfig()); err != nil {
			return nil, b.fail(err)
		}
		b.clients <- c
	}
	b.orders = make(chan einvoice.Order, 1<<16)
	return b, b.fail(b.measureSizes())
}

func (b *einvBench) buyerConfig() einvoice.BuyerConfig {
	return einvoice.BuyerConfig{Root: b.n.Einvoice.Root}
}

func (b *einvBench) fail(err error) error {
	if err != nil {
		b.close()
	}
	return err
}

func (b *einvBench) close() {
	for i := len(b.closers) - 1; i >= 0; i-- {
		b.closers[i]()
	}
	b.closers = nil
}

// prepare adds n paid orders to the seller's book, concurrently (their
// commits are grouped too).
func (b *einvBench) prepare(n int) error {
	errs := make([]error, einvClients)
	var wg sync.WaitGroup
	var left atomic.Int64
	left.Store(int64(n))
	for i := range einvClients {
		wg.Go(func() {
			for left.Add(-1) >= 0 {
				no := fmt.Sprintf("B-%08d", b.seq.Add(1))
				total, err := b.seller.AddOrder(b.ctx, no, einvoicetest.Items())
				if err != nil {
					errs[i] = err
					return
				}
				b.total = total
				b.orders <- einvoice.Order{OrderNo: no, Amount: total, BuyerName: "张三"}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// session is one whole issuance: messages 1 to 6.
func (b *einvBench) session(c *einvClient, o einvoice.Order) (*einvTranscript, error) {
	var tr einvTranscript
	req, ss, err := c.app.Request(c.eID, c.face, b.seller.SID(), o)
	if err != nil {
		return nil, err
	}
	tr.req = req
	if tr.resp, err = b.n.Einvoice.System.Request(b.ctx, req); err != nil {
		return nil, err
	}
	if tr.conf, tr.signed, err = ss.Finish(tr.resp); err != nil {
		return nil, err
	}
	return &tr, b.n.Einvoice.System.Confirm(b.ctx, tr.conf)
}

// einvTranscript is what the buyer saw of one session.
type einvTranscript struct {
	req    *einvoice.Request
	resp   *einvoice.InvoiceResponse
	conf   *einvoice.Confirm
	signed *invoice.Signed
}

func (b *einvBench) op() error {
	c := <-b.clients
	defer func() { b.clients <- c }()
	_, err := b.session(c, <-b.orders)
	return err
}

// einvTap is the in-process link to the seller; it keeps a copy of the
// first messages 2, 3 and 6 (their sizes go in the report).
type einvTap struct {
	einvoice.LocalSellers
	mu     sync.Mutex
	verify *einvoice.VerifyRequest
	answer *einvoice.VerifyResponse
	notice *einvoice.Notice
}

func (t *einvTap) Verify(ctx context.Context, endpoint string, m *einvoice.VerifyRequest) (*einvoice.VerifyResponse, error) {
	resp, err := t.LocalSellers.Verify(ctx, endpoint, m)
	t.mu.Lock()
	if t.verify == nil && err == nil {
		t.verify, t.answer = m, resp
	}
	t.mu.Unlock()
	return resp, err
}

func (t *einvTap) Notify(ctx context.Context, endpoint string, m *einvoice.Notice) error {
	t.mu.Lock()
	if t.notice == nil {
		t.notice = m
	}
	t.mu.Unlock()
	return t.LocalSellers.Notify(ctx, endpoint, m)
}

// measureSizes runs one session and records the size of each message.
func (b *einvBench) measureSizes() error {
	if err := b.prepare(1); err != nil {
		return err
	}
	c := <-b.clients
	defer func() { b.clients <- c }()
	tr, err := b.session(c, <-b.orders)
	if err != nil {
		return err
	}
	b.signed = tr.signed
	b.lastSizes = map[string]int{"C_i1": len(tr.req.C1), "C_i2": len(tr.req.C2), "C_e": len(b.tap.verify.C),
		"C_j": len(b.tap.answer.C), "c_e": len(tr.resp.C), "C_n": len(b.tap.notice.C)}
	for name, m := range map[string]encoding.BinaryMarshaler{"1_request": tr.req, "2_verify_request": b.tap.verify,
		"3_verify_response": b.tap.answer, "4_invoice_response": tr.resp, "5_confirm": tr.conf, "6_notice": b.tap.notice} {
		enc, err := m.MarshalBinary()
		if err != nil {
			return err
		}
		b.sizes[name] = len(enc)
	}
	return nil
}
