package groupsig

import (
	"crypto/sha256"
	"fmt"
	"io"
	"sync"

	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"

	"trustbank/internal/bls12"
)

// hDST is the domain-separation tag for deriving the opener's base h.
const hDST = "TRUSTBANK-GROUPSIG-V1-BLS12381G1_XMD:SHA-256_SSWU_RO_H"

type lines = [2][len(bls.LoopCounter) - 1]bls.LineEvaluationAff

// PublicKey is the group public key gpk = (g1, g2, h, u, v, w) at a key
// epoch. Epoch 0 is the key as set up; each revocation moves it to the next
// epoch (BBS04 §7). Verifiers need only this.
type PublicKey struct {
	Epoch   uint64
	G1      bls.G1Affine
	H, U, V bls.G1Affine
	G2, W   bls.G2Affine

	once sync.Once
	pre  *precomputed
}

// precomputed holds what is derived from a public key once and reused by every
// Sign, Verify and Join: fixed-base tables, Miller-loop lines of g2 and w, and
// the digest of the encoding bound into every challenge.
type precomputed struct {
	g1, h, u, v *bls12.Table
	lines       [2]lines
	digest      [32]byte
}

func (pk *PublicKey) precomp() *precomputed {
	pk.once.Do(func() {
		enc, _ := pk.MarshalBinary()
		pk.pre = &precomputed{
			g1:     bls12.NewTable(&pk.G1),
			h:      bls12.NewTable(&pk.H),
			u:      bls12.NewTable(&pk.U),
			v:      bls12.NewTable(&pk.V),
			lines:  [2]lines{bls.PrecomputeLines(pk.G2), bls.PrecomputeLines(pk.W)},
			digest: sha256.Sum256(enc),
		}
	})
	return pk.pre
}

// OpenerKey is the opener's secret (ξ1, ξ2) with u^ξ1 = v^ξ2 = h. In BBS04
// the group manager holds it; trustbank keeps opening apart from issuing.
type OpenerKey struct {
	Xi1, Xi2 fr.Element
	Public   OpenerPublicKey
}

// OpenerPublicKey is the opener's part of the group public key.
type OpenerPublicKey struct {
	H, U, V bls.G1Affine
}

// IssuerKey is the issuer's secret γ (w = g2^γ) and the current public key.
type IssuerKey struct {
	Gamma fr.Element
	PK    *PublicKey
}

// MemberKey is a member's private key (A, x) with A^(γ+x) = g1, valid at Epoch.
type MemberKey struct {
	Epoch uint64
	A     bls.G1Affine
	X     fr.Element

	once sync.Once
	tabA *bls12.Table
}

func (mk *MemberKey) table() *bls12.Table {
	mk.once.Do(func() { mk.tabA = bls12.NewTable(&mk.A) })
	return mk.tabA
}

// Setup runs both halves of key generation in one place: the opener's and
// then the issuer's. Deployments where they are different parties call
// GenerateOpenerKey and GenerateIssuerKey on their own machines instead.
func Setup(rand io.Reader) (*PublicKey, *IssuerKey, *OpenerKey, error) {
	ok, err := GenerateOpenerKey(rand)
	if err != nil {
		return nil, nil, nil, err
	}
	ik, err := GenerateIssuerKey(rand, ok.Public)
	if err != nil {
		return nil, nil, nil, err
	}
	return ik.PK, ik, ok, nil
}

// GenerateOpenerKey picks h by hashing fresh randomness to G1 (so nobody
// knows its discrete logarithm), ξ1, ξ2 at random, and u = h^(1/ξ1), v = h^(1/ξ2).
func GenerateOpenerKey(rand io.Reader) (*OpenerKey, error) {
	var seed [32]byte
	if _, err := io.ReadFull(rand, seed[:]); err != nil {
		return nil, fmt.Errorf("groupsig: reading randomness: %w", err)
	}
	h, err := bls.HashToG1(seed[:], []byte(hDST))
	if err != nil {
		return nil, err
	}
	ok := &OpenerKey{Public: OpenerPublicKey{H: h}}
	if err := bls12.RandomScalars(rand, &ok.Xi1, &ok.Xi2); err != nil {
		return nil, err
	}
	ok.Public.U = mulAffine(&h, inverse(&ok.Xi1))
	ok.Public.V = mulAffine(&h, inverse(&ok.Xi2))
	return ok, nil
}

// GenerateIssuerKey picks γ and forms the epoch-0 public key around the
// opener's public part. g1 and g2 are the standard BLS12-381 generators.
func GenerateIssuerKey(rand io.Reader, op OpenerPublicKey) (*IssuerKey, error) {
	gamma, err := bls12.RandomScalar(rand)
	if err != nil {
		return nil, err
	}
	_, _, g1, g2 := bls.Generators()
	pk := &PublicKey{G1: g1, G2: g2, H: op.H, U: op.U, V: op.V}
	pk.W = mulG2(&g2, &gamma)
	return &IssuerKey{Gamma: gamma, PK: pk}, nil
}

// Issue creates a fresh member key (A, x) at the current epoch: x random,
// A = g1^(1/(γ+x)). The issuer keeps (A, x) in its registry (the opener needs
// A to name the signer) and sends the key to the member over a private channel.
func (ik *IssuerKey) Issue(rand io.Reader) (*MemberKey, error) {
	for {
		x, err := bls12.RandomScalar(rand)
		if err != nil {
			return nil, err
		}
		mk, err := ik.keyFor(&x)
		if err == nil {
			return mk, nil
		}
	}
}

// keyFor computes A = g1^(1/(γ+x)) under the current public key.
func (ik *IssuerKey) keyFor(x *fr.Element) (*MemberKey, error) {
	var e fr.Element
	e.Add(&ik.Gamma, x)
	if e.IsZero() {
		return nil, ErrInvalidKey
	}
	bls12.InvertScalar(&e, &e)
	a := ik.PK.precomp().g1.Mul(&e)
	mk := &MemberKey{Epoch: ik.PK.Epoch, X: *x}
	mk.A = bls12.Affine(&a)
	return mk, nil
}

// Check verifies that mk is a valid member key under pk:
// e(A, w·g2^x) = e(g1, g2). A member runs it on the key it receives.
func (mk *MemberKey) Check(pk *PublicKey) error {
	if mk.Epoch != pk.Epoch {
		return ErrStaleKey
	}
	wx := mulG2(&pk.G2, &mk.X)
	wx.Add(&wx, &pk.W)
	var negG1 bls.G1Affine
	negG1.Neg(&pk.G1)
	ok, err := bls.PairingCheck([]bls.G1Affine{mk.A, negG1}, []bls.G2Affine{wx, pk.G2})
	if err != nil || !ok {
		return ErrInvalidKey
	}
	return nil
}

// Zeroize overwrites the secret scalars.
func (mk *MemberKey) Zeroize() { mk.X.SetZero() }

// Zeroize overwrites the secret scalars.
func (ok *OpenerKey) Zeroize() { ok.Xi1.SetZero(); ok.Xi2.SetZero() }

// Zeroize overwrites the secret scalar.
func (ik *IssuerKey) Zeroize() { ik.Gamma.SetZero() }

func inverse(s *fr.Element) *fr.Element {
	var r fr.Element
	return bls12.InvertScalar(&r, s)
}

func mulAffine(p *bls.G1Affine, s *fr.Element) bls.G1Affine { return bls12.MulG1Affine(p, s) }

func mulG2(p *bls.G2Affine, s *fr.Element) bls.G2Affine { return bls12.MulG2(p, s) }
