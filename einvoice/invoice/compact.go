package invoice

import (
	"fmt"
	"slices"
	"sync"

	"github.com/emmansun/gmsm/smx509"

	"trustbank/internal/wire"
)

// Stored form. A tax system keeps many invoices signed under one chain,
// so it stores each invoice as its canonical encoding and signature
// (Parts) and its signer's chain once (ChainDER); FromParts rebuilds the
// signed invoice, whose JSON and verification are those of the original.

// maxSignature bounds an SM2 signature's DER (two 32-byte integers: 72
// bytes at most; 80 leaves room for encoders that pad).
const maxSignature = 80

// maxCertificate bounds one certificate's DER in ChainDER.
const maxCertificate = 1 << 14

// Parts returns the invoice's canonical encoding (what is signed) and the
// signature.
func (sd *Signed) Parts() (doc, sig []byte, err error) {
	doc, err = sd.Invoice.MarshalBinary()
	return doc, sd.Signature, err
}

// ChainDER encodes the certificate chain: a count byte, then each
// certificate's DER with a 2-byte length, leaf first.
func (sd *Signed) ChainDER() []byte {
	w := &wire.Writer{}
	sd.writeChain(w)
	return w.B
}

func (sd *Signed) writeChain(w *wire.Writer) {
	w.U8(uint8(len(sd.Chain)))
	for _, c := range sd.Chain {
		w.Bytes16(c.Raw)
	}
}

// readChain reads what writeChain wrote (at most MaxChain + 1
// certificates: parseChain refuses more).
func readChain(r *wire.Reader) [][]byte {
	n := int(r.U8("certificates"))
	ders := make([][]byte, 0, min(n, MaxChain+1))
	for i := 0; i < n && i <= MaxChain; i++ {
		ders = append(ders, r.Bytes16(maxCertificate, "certificate"))
	}
	return ders
}

// ParseChainDER decodes ChainDER strictly: one to MaxChain certificates
// that parse, the leaf's key SM2. It verifies nothing.
func ParseChainDER(b []byte) ([]*smx509.Certificate, error) {
	r := wire.NewReader(b)
	ders := readChain(r)
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("%w: chain: %v", ErrMalformed, err)
	}
	return parseChain(ders)
}

// MarshalBinary is the binary export of a signed invoice (what message 4
// of package einvoice carries): the canonical encoding with a 4-byte
// length, the signature with a 2-byte length, then ChainDER. It holds
// what JSON holds, in about two thirds of the bytes, and reads back
// without a JSON decoder (ParseBinary).
func (sd *Signed) MarshalBinary() ([]byte, error) {
	doc, sig, err := sd.Parts()
	if err != nil {
		return nil, err
	}
	n := 4 + len(doc) + 2 + len(sig) + 1
	for _, c := range sd.Chain {
		n += 2 + len(c.Raw)
	}
	w := &wire.Writer{B: make([]byte, 0, n)}
	w.Bytes32(doc)
	w.Bytes16(sig)
	sd.writeChain(w)
	return w.B, nil
}

// ParseBinary reads MarshalBinary's export as strictly as ParseJSON reads
// the JSON one (at most MaxJSON bytes). It verifies nothing.
func ParseBinary(b []byte) (*Signed, error) {
	if len(b) > MaxJSON {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrMalformed, len(b), MaxJSON)
	}
	r := wire.NewReader(b)
	doc := r.Bytes32(MaxJSON, "invoice")
	sig := r.Bytes16(maxSignature, "signature")
	ders := readChain(r)
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	chain, err := parseChain(ders)
	if err != nil {
		return nil, err
	}
	return FromParts(doc, sig, chain)
}

// parsedChains remembers the last chains parsed (a verifier sees the
// same few signers' chains again and again): parsing two certificates
// costs more than all the rest of reading an invoice. The certificates
// are shared between the Signed values that carry them, read-only.
var parsedChains struct {
	sync.Mutex
	m map[string][]*smx509.Certificate
}

// maxParsedChains bounds parsedChains (it is emptied when full).
const maxParsedChains = 16

// parseChain parses one to MaxChain DER certificates, leaf first, and
// wants the leaf's key to be SM2.
func parseChain(ders [][]byte) ([]*smx509.Certificate, error) {
	if len(ders) == 0 || len(ders) > MaxChain {
		return nil, fmt.Errorf("%w: %d certificates, want 1 to %d", ErrMalformed, len(ders), MaxChain)
	}
	kw := &wire.Writer{}
	for _, der := range ders {
		kw.Bytes32(der)
	}
	key := string(kw.B)
	parsedChains.Lock()
	chain, ok := parsedChains.m[key]
	parsedChains.Unlock()
	if ok {
		return slices.Clone(chain), nil
	}
	chain, err := parseChainDERs(ders)
	if err != nil {
		return nil, err
	}
	parsedChains.Lock()
	if len(parsedChains.m) >= maxParsedChains || parsedChains.m == nil {
		parsedChains.m = map[string][]*smx509.Certificate{}
	}
	parsedChains.m[key] = chain
	parsedChains.Unlock()
	return slices.Clone(chain), nil
}

func parseChainDERs(ders [][]byte) ([]*smx509.Certificate, error) {
	chain := make([]*smx509.Certificate, 0, len(ders))
	for i, der := range ders {
		c, err := smx509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("%w: certificate %d: %v", ErrMalformed, i, err)
		}
		chain = append(chain, c)
	}
	if publicKey(chain[0]) == nil {
		return nil, fmt.Errorf("%w: the signing certificate's key is not SM2", ErrMalformed)
	}
	return chain, nil
}

// checkSignature wants a signature of plausible length.
func checkSignature(sig []byte) error {
	if len(sig) == 0 || len(sig) > maxSignature {
		return fmt.Errorf("%w: signature of %d bytes", ErrMalformed, len(sig))
	}
	return nil
}

// FromParts rebuilds a signed invoice from Parts and a parsed chain
// (ParseChainDER), as strictly as ParseJSON reads one. It verifies
// nothing (Verify does).
func FromParts(doc, sig []byte, chain []*smx509.Certificate) (*Signed, error) {
	sd := &Signed{Signature: sig, Chain: chain}
	if err := sd.Invoice.UnmarshalBinary(doc); err != nil {
		return nil, err
	}
	if err := checkSignature(sig); err != nil {
		return nil, err
	}
	if len(chain) == 0 || len(chain) > MaxChain || publicKey(chain[0]) == nil {
		return nil, fmt.Errorf("%w: no chain of 1 to %d certificates with an SM2 leaf", ErrMalformed, MaxChain)
	}
	return sd, nil
}
