package ledger

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// Signature type identifiers of the signed-note key IDs (see doc.go). The
// bank's signatures have no byte assigned by c2sp.org/signed-note, so they
// use 0xff followed by a name; the witness's are the standard timestamped
// Ed25519 cosignatures of c2sp.org/tlog-cosignature (0x04).
const (
	noteAlgSM2 = "\xfftrustbank/sm2-sm3"
	noteAlgSM9 = "\xfftrustbank/sm9"
	noteAlgCo  = "\x04"
)

// Origin is the checkpoint origin line of bank's log, and the key name of
// the bank's note signatures.
func Origin(bank string) string { return bank + "/ledger" }

// noteTimeLine is the checkpoint's one extension line: the bank's clock at
// signing, in Unix milliseconds.
const noteTimeLine = "time-ms "

// NoteText is the checkpoint body of c2sp.org/tlog-checkpoint: origin, tree
// size, base64 root hash, and one extension line with the bank's time. A
// checkpoint (other than a legacy one) is signed over exactly this text.
func (c *Checkpoint) NoteText() []byte {
	return fmt.Appendf(nil, "%s\n%d\n%s\n%s%d\n", Origin(c.Bank), c.Size, base64.StdEncoding.EncodeToString(c.Root[:]), noteTimeLine, c.Time)
}

// parseNoteText reads a checkpoint body and refuses any text that NoteText
// would not have written.
func parseNoteText(text string) (*Checkpoint, error) {
	lines := strings.Split(text, "\n")
	if len(lines) != 5 || lines[4] != "" {
		return nil, fmt.Errorf("%w: checkpoint note of %d lines", ErrMalformed, len(lines)-1)
	}
	bank, ok := strings.CutSuffix(lines[0], "/ledger")
	if !ok || checkName("bank", bank) != nil {
		return nil, fmt.Errorf("%w: checkpoint origin %q is not a trustbank ledger", ErrMalformed, lines[0])
	}
	c := &Checkpoint{Bank: bank}
	var err error
	if c.Size, err = strconv.ParseUint(lines[1], 10, 64); err != nil {
		return nil, fmt.Errorf("%w: checkpoint size %q", ErrMalformed, lines[1])
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != len(c.Root) {
		return nil, fmt.Errorf("%w: checkpoint root %q", ErrMalformed, lines[2])
	}
	copy(c.Root[:], root)
	t, ok := strings.CutPrefix(lines[3], noteTimeLine)
	if c.Time, err = strconv.ParseInt(t, 10, 64); !ok || err != nil {
		return nil, fmt.Errorf("%w: checkpoint time line %q", ErrMalformed, lines[3])
	}
	if !bytes.Equal(c.NoteText(), []byte(text)) {
		return nil, fmt.Errorf("%w: checkpoint note is not canonical", ErrMalformed)
	}
	return c, nil
}

// noteKeyID is SHA-256(name ‖ "\n" ‖ type ‖ public key)[:4], big-endian.
func noteKeyID(name, alg string, pub []byte) uint32 {
	h := sha256.New()
	h.Write([]byte(name + "\n" + alg))
	h.Write(pub)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// noteVerifier is the bank's key as a note verifier.
type noteVerifier struct {
	name string
	hash uint32
	v    Verifier
}

func (v *noteVerifier) Name() string                { return v.name }
func (v *noteVerifier) KeyHash() uint32             { return v.hash }
func (v *noteVerifier) Verify(msg, sig []byte) bool { return v.v.Verify(msg, sig) }

func noteAlg(scheme Scheme) (string, error) {
	switch scheme {
	case SM2:
		return noteAlgSM2, nil
	case SM9:
		return noteAlgSM9, nil
	}
	return "", fmt.Errorf("ledger: no note signature type for %v", scheme)
}

// NoteVerifier is the bank's public key (SM2, or the SM9 master public key
// with the bank's name as identity) as a verifier of signed notes: key name
// Origin(bank), key ID as doc.go describes.
func NoteVerifier(scheme Scheme, bank string, pub []byte) (note.Verifier, error) {
	alg, err := noteAlg(scheme)
	if err != nil {
		return nil, err
	}
	v, err := BankVerifier(scheme, bank, pub)
	if err != nil {
		return nil, err
	}
	return &noteVerifier{name: Origin(bank), hash: noteKeyID(Origin(bank), alg, pub), v: v}, nil
}

// SignedNote is c as a signed note carrying the bank's signature (bank is
// the bank's NoteVerifier). A legacy checkpoint, whose signature covers
// its binary body, has no note form.
func (c *Checkpoint) SignedNote(bank note.Verifier) ([]byte, error) {
	if c.legacy {
		return nil, fmt.Errorf("%w: a legacy checkpoint (size %d) has no note form", ErrMalformed, c.Size)
	}
	if bank.Name() != Origin(c.Bank) {
		return nil, fmt.Errorf("ledger: key %s cannot sign the log of %s", bank.Name(), c.Bank)
	}
	var id [4]byte
	binary.BigEndian.PutUint32(id[:], bank.KeyHash())
	sig := note.Signature{Name: bank.Name(), Hash: bank.KeyHash(), Base64: base64.StdEncoding.EncodeToString(append(id[:], c.Sig...))}
	return note.Sign(&note.Note{Text: string(c.NoteText()), Sigs: []note.Signature{sig}})
}

// OpenCheckpoint reads a signed checkpoint note: it must carry a valid
// signature of bank and a valid cosignature of every witness; signatures of
// other keys are ignored. A bad signature by a known key is
// ErrBadSignature, a missing one ErrBadSignature (the bank's) or
// ErrNotCosigned (a witness's); text that is not a canonical checkpoint is
// ErrMalformed.
func OpenCheckpoint(msg []byte, bank note.Verifier, witnesses ...note.Verifier) (*Checkpoint, error) {
	n, err := note.Open(msg, note.VerifierList(append([]note.Verifier{bank}, witnesses...)...))
	var inv *note.InvalidSignatureError
	var unv *note.UnverifiedNoteError
	switch {
	case errors.As(err, &inv):
		return nil, fmt.Errorf("%w: checkpoint note: %v", ErrBadSignature, err)
	case errors.As(err, &unv):
		return nil, fmt.Errorf("%w: checkpoint note has no signature by %s", ErrBadSignature, bank.Name())
	case err != nil:
		return nil, fmt.Errorf("%w: checkpoint note: %v", ErrMalformed, err)
	}
	c, err := parseNoteText(n.Text)
	if err != nil {
		return nil, err
	}
	if Origin(c.Bank) != bank.Name() {
		return nil, fmt.Errorf("%w: checkpoint of %s, not of %s", ErrBadSignature, Origin(c.Bank), bank.Name())
	}
	if c.Sig = noteSig(n, bank); c.Sig == nil {
		return nil, fmt.Errorf("%w: checkpoint note has no signature by %s", ErrBadSignature, bank.Name())
	}
	for _, w := range witnesses {
		if noteSig(n, w) == nil {
			return nil, fmt.Errorf("%w: checkpoint of size %d lacks the cosignature of %s", ErrNotCosigned, c.Size, w.Name())
		}
	}
	return c, nil
}

// noteSig is the verified signature of v in n (without its key ID), or nil.
func noteSig(n *note.Note, v note.Verifier) []byte {
	for _, s := range n.Sigs {
		if s.Name == v.Name() && s.Hash == v.KeyHash() {
			b, err := base64.StdEncoding.DecodeString(s.Base64)
			if err == nil && len(b) > 4 {
				return b[4:]
			}
		}
	}
	return nil
}

// Cosigner is a witness's Ed25519 key, making timestamped cosignatures
// (c2sp.org/tlog-cosignature, type 0x04) over checkpoint notes.
type Cosigner struct {
	name string
	key  ed25519.PrivateKey
	hash uint32
	now  func() time.Time
}

// NewCosigner makes the cosigner name (a schema-less URL: no spaces, no
// '+') from an Ed25519 seed. now nil means time.Now.
func NewCosigner(name string, seed []byte, now func() time.Time) (*Cosigner, error) {
	if !validKeyName(name) {
		return nil, fmt.Errorf("%w: witness name %q", ErrMalformed, name)
	}
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%w: witness key of %d bytes", ErrMalformed, len(seed))
	}
	if now == nil {
		now = time.Now
	}
	key := ed25519.NewKeyFromSeed(seed)
	pub := key.Public().(ed25519.PublicKey)
	return &Cosigner{name: name, key: key, hash: noteKeyID(name, noteAlgCo, pub), now: now}, nil
}

func validKeyName(name string) bool {
	return name != "" && len(name) <= 255 && !strings.ContainsAny(name, " +\n\t") && !strings.ContainsRune(name, '\u2014')
}

func (c *Cosigner) Name() string    { return c.name }
func (c *Cosigner) KeyHash() uint32 { return c.hash }

// Sign cosigns a checkpoint note text: timestamp ‖ Ed25519 signature of
// "cosignature/v1\ntime T\n" ‖ text.
func (c *Cosigner) Sign(msg []byte) ([]byte, error) {
	t := uint64(c.now().Unix())
	sig := binary.BigEndian.AppendUint64(nil, t)
	return append(sig, ed25519.Sign(c.key, cosignedMessage(t, msg))...), nil
}

// VerifierKey is the cosigner's public key as a vkey:
// name+keyID(hex)+base64(0x04 ‖ public key).
func (c *Cosigner) VerifierKey() string {
	pub := c.key.Public().(ed25519.PublicKey)
	return fmt.Sprintf("%s+%08x+%s", c.name, c.hash, base64.StdEncoding.EncodeToString(append([]byte(noteAlgCo), pub...)))
}

func cosignedMessage(t uint64, text []byte) []byte {
	return append(fmt.Appendf(nil, "cosignature/v1\ntime %d\n", t), text...)
}

type cosignatureVerifier struct {
	name string
	hash uint32
	pub  ed25519.PublicKey
}

func (v *cosignatureVerifier) Name() string    { return v.name }
func (v *cosignatureVerifier) KeyHash() uint32 { return v.hash }
func (v *cosignatureVerifier) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	t := binary.BigEndian.Uint64(sig)
	return t < 1<<63 && ed25519.Verify(v.pub, cosignedMessage(t, msg), sig[8:])
}

// ParseWitnessKey reads a witness's vkey (Cosigner.VerifierKey) and checks
// that its key ID is the one its name and key imply.
func ParseWitnessKey(vkey string) (note.Verifier, error) {
	name, rest, ok1 := strings.Cut(vkey, "+")
	hexID, b64, ok2 := strings.Cut(rest, "+")
	id, err := strconv.ParseUint(hexID, 16, 32)
	key, err2 := base64.StdEncoding.Strict().DecodeString(b64)
	if !ok1 || !ok2 || len(hexID) != 8 || err != nil || err2 != nil || !validKeyName(name) ||
		len(key) != 1+ed25519.PublicKeySize || key[0] != noteAlgCo[0] {
		return nil, fmt.Errorf("%w: witness key %q is not an Ed25519 cosignature vkey", ErrMalformed, vkey)
	}
	v := &cosignatureVerifier{name: name, pub: ed25519.PublicKey(key[1:]), hash: noteKeyID(name, noteAlgCo, key[1:])}
	if uint32(id) != v.hash || hexID != fmt.Sprintf("%08x", id) {
		return nil, fmt.Errorf("%w: witness key %q: key ID %s does not match its key", ErrMalformed, vkey, hexID)
	}
	return v, nil
}

// Cosign adds c's cosignature to a checkpoint note that bank signed; the
// caller (a witness) has checked that the checkpoint extends the last one
// it cosigned.
func (c *Cosigner) Cosign(msg []byte, bank note.Verifier) ([]byte, error) {
	n, err := note.Open(msg, note.VerifierList(bank))
	if err != nil {
		return nil, fmt.Errorf("%w: checkpoint note: %v", ErrBadSignature, err)
	}
	return note.Sign(n, c)
}
