package ecash

import (
	"fmt"
	"time"
)

// Epoch numbers a withdrawal period. Coins withdrawn in epoch e carry e,
// are signed with e's keys, and expire with them.
type Epoch uint32

// Schedule fixes the module's epochs and validity windows. Coins of epoch
// e can be withdrawn during e, spent until the end of e+SpendEpochs and
// deposited until the end of e+DepositEpochs; after that the spent-coin
// registry drops epoch e entirely (see Store.Prune), so it stays bounded.
type Schedule struct {
	Genesis       time.Time     // start of epoch 0
	EpochLength   time.Duration // length of every epoch
	SpendEpochs   uint32        // epochs after its own during which a coin may be spent
	DepositEpochs uint32        // epochs after its own during which a coin may be deposited (≥ SpendEpochs)
	Lookahead     uint32        // future epochs whose keys are published in advance
	Denoms        []Denom       // offered denominations, ascending
}

// Validate reports whether s is usable.
func (s Schedule) Validate() error {
	switch {
	case s.EpochLength <= 0:
		return fmt.Errorf("ecash: schedule: epoch length must be positive")
	case s.DepositEpochs < s.SpendEpochs:
		return fmt.Errorf("ecash: schedule: deposit window must not end before the spend window")
	case len(s.Denoms) == 0:
		return fmt.Errorf("ecash: schedule: no denominations")
	}
	for i, d := range s.Denoms {
		if d > MaxDenom || (i > 0 && d <= s.Denoms[i-1]) {
			return fmt.Errorf("ecash: schedule: denominations must be ascending and at most %d", MaxDenom)
		}
	}
	return nil
}

// EpochAt returns the epoch that contains t (0 before genesis).
func (s Schedule) EpochAt(t time.Time) Epoch {
	if t.Before(s.Genesis) {
		return 0
	}
	return Epoch(t.Sub(s.Genesis) / s.EpochLength)
}

// Start returns when epoch e begins.
func (s Schedule) Start(e Epoch) time.Time {
	return s.Genesis.Add(time.Duration(e) * s.EpochLength)
}

// SpendUntil returns when coins of epoch e stop being spendable.
func (s Schedule) SpendUntil(e Epoch) time.Time { return s.Start(e + 1 + Epoch(s.SpendEpochs)) }

// DepositUntil returns when coins of epoch e stop being depositable.
func (s Schedule) DepositUntil(e Epoch) time.Time { return s.Start(e + 1 + Epoch(s.DepositEpochs)) }

// Offers reports whether d is an offered denomination.
func (s Schedule) Offers(d Denom) bool {
	for _, o := range s.Denoms {
		if o == d {
			return true
		}
	}
	return false
}
