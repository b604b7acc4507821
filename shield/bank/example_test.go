package bank

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"trustbank/internal/dbtest"
)

// Example runs the three flows of the paper: enrollment, certificate
// login and a card-signed transfer above the daily limit, next to the
// session-only path that the limit stops.
func Example() {
	dir, _ := os.MkdirTemp("", "shield-bank-example")
	defer os.RemoveAll(dir)
	t := &testing.T{}
	s := newSystem(t, dbtest.Target{Path: filepath.Join(dir, "bank.db")})

	device, _ := s.customer("alice", 100_000*yuan) // password login, code, P10 → P7, card stores it
	s.customer("bob", 0)

	weak := s.passwordLogin("alice")
	_, err := s.srv.Transfer(ctx, &SessionTransfer{Session: weak.Token, ID: newID(),
		Payment: Payment{"alice", "bob", "Bob", 60_000 * yuan}})
	fmt.Println("session only, 60,000 CNY:", errors.Is(err, ErrCertificateRequired))

	strong := s.certLogin(device, "alice")
	rc, err := s.srv.Confirm(ctx, s.signedConfirm(device, strong, Payment{"alice", "bob", "Bob", 60_000 * yuan}))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("card-signed, 60,000 CNY:", rc.Level, rc.Amount/yuan, "CNY, left", rc.Balance/yuan, "CNY")
	// Output:
	// session only, 60,000 CNY: true
	// card-signed, 60,000 CNY: certificate 60000 CNY, left 40000 CNY
}
