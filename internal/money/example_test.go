package money_test

import (
	"errors"
	"fmt"

	"trustbank/internal/money"
)

// A credit that would take a balance past MaxBalance is refused, and the
// balance is left as it was.
func ExampleAdd() {
	balance := money.MaxBalance - 11
	next, err := money.Add(balance, 64)
	fmt.Println(errors.Is(err, money.ErrRange), next == balance)
	next, err = money.Add(balance, 11)
	fmt.Println(next == money.MaxBalance, err)
	// Output:
	// true true
	// true <nil>
}
