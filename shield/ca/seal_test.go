package ca

import (
	"crypto/rand"
	"errors"
	"testing"
)

// A sealed key opens under its master key and role only, and not changed.
func TestSealedKeys(t *testing.T) {
	var m, other MasterKey
	rand.Read(m[:])
	rand.Read(other[:])
	k := cardKey(t)
	sealed, err := m.SealKey("issuing", k)
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.OpenKey("issuing", sealed)
	if err != nil || !got.Equal(k) {
		t.Fatalf("open: %v", err)
	}
	tampered := append([]byte(nil), sealed...)
	tampered[40] ^= 1
	for name, open := range map[string]func() error{
		"fail/other master key": func() error { _, err := other.OpenKey("issuing", sealed); return err },
		"fail/other role":       func() error { _, err := m.OpenKey("root", sealed); return err },
		"fail/tampered":         func() error { _, err := m.OpenKey("issuing", tampered); return err },
		"fail/not PEM":          func() error { _, err := m.OpenKey("issuing", []byte("key")); return err },
	} {
		if err := open(); !errors.Is(err, ErrSealed) {
			t.Fatalf("%s: %v", name, err)
		}
	}
}
