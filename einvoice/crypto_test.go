package einvoice

import (
	"bytes"
	"crypto/hmac"
	"encoding/binary"
	"testing"

	"github.com/emmansun/gmsm/sm3"
)

// refH is h as doc.go defines it, written out independently:
// HMAC-SM3(k, frame(label, parts…)), each element with a 4-byte
// big-endian length prefix.
func refH(k []byte, label string, parts ...[]byte) []byte {
	m := hmac.New(sm3.New, k)
	for _, p := range append([][]byte{[]byte(label)}, parts...) {
		m.Write(binary.BigEndian.AppendUint32(nil, uint32(len(p))))
		m.Write(p)
	}
	return m.Sum(nil)
}

// TestHMatchesHMAC checks h against the documented framing for keys
// shorter than, equal to and longer than the SM3 block, and for empty and
// multi-block messages.
func TestHMatchesHMAC(t *testing.T) {
	msg := bytes.Repeat([]byte("0123456789abcdef"), 70)
	for _, kl := range []int{0, 1, 18, 32, 63, 64, 65, 100, 200, 300} {
		k := bytes.Repeat([]byte{byte(kl) | 1}, kl)
		for _, ml := range []int{0, 1, 55, 56, 64, 119, 255, 256, 257, 320, 1100} {
			got := h(k, lblEnc, msg[:ml], msg[:ml/2])
			if want := refH(k, lblEnc, msg[:ml], msg[:ml/2]); !bytes.Equal(got[:], want) {
				t.Fatalf("key %d, message %d: h = %x, HMAC = %x", kl, ml, got, want)
			}
		}
		if got, want := h(k, lblTag), refH(k, lblTag); !bytes.Equal(got[:], want) {
			t.Fatalf("key %d, no parts: h = %x, HMAC = %x", kl, got, want)
		}
	}
}
