package main

import (
	"context"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/sm4"

	"trustbank/einvoice"
	"trustbank/einvoice/biometric"
	"trustbank/internal/bench"
)

// einvCrypto is all the cryptography of one session done bare, on the
// sizes of a real session (einvSessionCost counts it; the cost model test
// checks the count against package einvoice):
//
//   - 14 SM4-GCM operations: each of the six protocol ciphertexts
//     (C_i1, C_i2, C_e, C_j, c_e, C_n) sealed once and opened once, at its
//     real length, and the app's wallet (K_i and the identity) opened and
//     sealed again;
//   - 46 HMAC-SM3: the ten MACs over ciphertexts (S_i, S_e, S_j, s_e, S_n,
//     each made and checked) over their real lengths, the other 36 (keys,
//     masks, tags, R_i, the 14 encryption-key derivations) over 64 bytes;
//   - one face match and one fuzzy-extractor Rep;
//   - one SM2 signature over the invoice's canonical encoding and three
//     SM2 verifications (two certificates and the invoice).
type einvCrypto struct {
	key        [32]byte
	plain      [][]byte // the plaintexts of the 7 ciphertexts
	macInputs  [][]byte // the 10 long MAC inputs
	face       einvoice.Face
	helper     *biometric.Helper
	sm2Key     *sm2.PrivateKey
	msg, sig   []byte
	hmacShort  int
	macPayload []byte
}

func newEinvCrypto(b *einvBench) (*einvCrypto, error) {
	c := &einvCrypto{face: newSyntheticFace(7).face(), macPayload: make([]byte, 64)}
	rand.Read(c.key[:])
	tr := b.lastSizes
	for _, n := range []int{tr["C_i1"], tr["C_i2"], tr["C_e"], tr["C_j"], tr["c_e"], tr["C_n"], einvWalletLen} {
		c.plain = append(c.plain, make([]byte, n-einvoice.EncOverhead))
	}
	for _, n := range []int{tr["C_i1"] + tr["C_i2"], tr["C_e"], tr["C_j"], tr["c_e"], tr["C_n"]} {
		c.macInputs = append(c.macInputs, make([]byte, n), make([]byte, n))
	}
	total := einvSessionCost().HMAC
	c.hmacShort = total - len(c.macInputs)
	var err error
	if _, c.helper, err = biometric.Gen(rand.Reader, c.face.Live); err != nil {
		return nil, err
	}
	if c.sm2Key, err = sm2.GenerateKey(rand.Reader); err != nil {
		return nil, err
	}
	if c.msg, err = b.signed.Invoice.MarshalBinary(); err != nil {
		return nil, err
	}
	c.sig, err = sm2.SignASN1(rand.Reader, c.sm2Key, c.msg, sm2.DefaultSM2SignerOpts)
	return c, err
}

// einvWalletLen is the app wallet's ciphertext: kind byte, K_i, HID_i,
// Hb_i, ρ, and ENC's overhead.
const einvWalletLen = 1 + 32 + einvoice.IDLen + 32 + einvoice.SaltLen + einvoice.EncOverhead

func (c *einvCrypto) hmac(msg []byte) {
	m := hmac.New(sm3.New, c.key[:])
	m.Write(msg)
	m.Sum(nil)
}

func (c *einvCrypto) gcm() cipher.AEAD {
	block, _ := sm4.NewCipher(c.key[:16])
	a, _ := cipher.NewGCM(block)
	return a
}

// symmetric is the session's SM4-GCM and HMAC-SM3 work.
func (c *einvCrypto) symmetric() error {
	nonce := make([]byte, 12)
	for _, p := range c.plain {
		rand.Read(nonce)
		ct := c.gcm().Seal(nil, nonce, p, []byte("field"))
		if _, err := c.gcm().Open(nil, nonce, ct, []byte("field")); err != nil {
			return err
		}
	}
	for _, m := range c.macInputs {
		c.hmac(m)
	}
	for range c.hmacShort {
		c.hmac(c.macPayload)
	}
	return nil
}

// biometric is the app's face match and Rep.
func (c *einvCrypto) biometric() error {
	if _, ok := biometric.Match(c.face.IDPhoto, c.face.Live); !ok {
		return errors.New("bench einvoice: bound face does not match")
	}
	_, err := biometric.Rep(c.face.Live, c.helper)
	return err
}

func (c *einvCrypto) sign() error {
	_, err := sm2.SignASN1(rand.Reader, c.sm2Key, c.msg, sm2.DefaultSM2SignerOpts)
	return err
}

func (c *einvCrypto) verify() error {
	for range 3 {
		if !sm2.VerifyASN1WithSM2(&c.sm2Key.PublicKey, nil, c.msg, c.sig) {
			return errors.New("bench einvoice: bound signature does not verify")
		}
	}
	return nil
}

// all is one session's cryptography.
func (c *einvCrypto) all() error {
	return errors.Join(c.symmetric(), c.biometric(), c.sign(), c.verify())
}

const einvBound = "the session's cryptography bare: 14 SM4-GCM, 46 HMAC-SM3, face match + fuzzy Rep, 1 SM2 sign + 3 SM2 verify"

func einvoiceCases(ctx context.Context, d time.Duration, rounds int) ([]bench.Case, func(), error) {
	b, err := newEinvBench(ctx)
	if err != nil {
		return nil, nil, err
	}
	c, err := newEinvCrypto(b)
	if err != nil {
		b.close()
		return nil, nil, err
	}
	per, n := einvClients*parallelBatch, einvClients
	prepare := func(calls int) error { return b.prepare(calls * per) }
	cases := []bench.Case{
		{Name: "session", Op: parallel(n, b.op), Bound: fmt.Sprintf("%s, %d in parallel", einvBound, n),
			BoundOp: parallel(n, c.all), PerCall: per, Prepare: prepare},
		{Name: "session-serial", Op: b.op, Bound: einvBound, BoundOp: c.all,
			Prepare: func(calls int) error { return b.prepare(calls) }},
	}
	einvActive = &einvReport{b: b, c: c}
	return cases, b.close, nil
}

// einvActive is the running bench, for its notes.
var einvActive *einvReport

type einvReport struct {
	b *einvBench
	c *einvCrypto
}

// perOp times one operation single-threaded, for at least 100 ms.
func perOp(op func() error) time.Duration {
	n, start := 0, time.Now()
	for time.Since(start) < 100*time.Millisecond {
		if err := op(); err != nil {
			return -1
		}
		n++
	}
	return time.Since(start) / time.Duration(n)
}

// einvoiceNotes are the paper's cost comparison redone: what one session
// computes, what each operation costs here, and the bytes of each message.
func einvoiceNotes() map[string]string {
	r := einvActive
	c := r.c
	ops := einvSessionCost()
	short := []byte("64 bytes of MAC input ...........................................")
	times := map[string]time.Duration{
		"hmac_sm3_64B": perOp(func() error { c.hmac(short); return nil }),
		"hmac_sm3_c_e": perOp(func() error { c.hmac(c.macInputs[6]); return nil }),
		"sm4_gcm_seal_open_C_i2": perOp(func() error {
			nonce := make([]byte, 12)
			_, err := c.gcm().Open(nil, nonce, c.gcm().Seal(nil, nonce, c.plain[1], nil), nil)
			return err
		}),
		"sm4_gcm_seal_open_c_e": perOp(func() error {
			nonce := make([]byte, 12)
			_, err := c.gcm().Open(nil, nonce, c.gcm().Seal(nil, nonce, c.plain[4], nil), nil)
			return err
		}),
		"face_match_and_rep": perOp(c.biometric),
		"sm2_sign":           perOp(c.sign),
		"sm2_verify_x3":      perOp(c.verify),
		"symmetric_all":      perOp(c.symmetric),
	}
	n := map[string]string{
		"storage":               "sqlite (WAL, synchronous=FULL): the system's database (tax-only node) and the seller's, group-committed",
		"transport":             "in process: buyer app, tax system and seller in one process (einvoice.LocalSellers); no HTTP",
		"clients":               fmt.Sprint(einvClients),
		"ops_per_session":       ops.String(),
		"paper_ops_per_session": "8 symmetric enc/dec + 1 fuzzy extraction + hashes (count not given); no signature; 6 messages",
	}
	for _, s := range einvSteps {
		n["ops_step_"+s.party+"_"+strings.ReplaceAll(s.msgs, " ", "")] = einvCost(s.fn).String()
	}
	for k, v := range times {
		n["time_"+k] = v.String()
	}
	total := 0
	keys := make([]string, 0, len(r.b.sizes))
	for k := range r.b.sizes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		n["msg_"+k] = fmt.Sprintf("%d bytes = %d bits", r.b.sizes[k], 8*r.b.sizes[k])
		total += r.b.sizes[k]
	}
	signed, _ := r.b.signed.MarshalBinary()
	n["msg_total"] = fmt.Sprintf("%d bytes = %d bits (six messages; 4 carries the signed invoice's binary export, %d bytes; its JSON is %d)",
		total, 8*total, len(signed), len(r.b.signed.JSON()))
	return n
}
