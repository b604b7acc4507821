package einvoice

import (
	"fmt"
	"strings"
)

// EID is a buyer's real identity eID_i: an 18-character PRC resident
// identity number (GB 11643-1999): 17 digits and an ISO 7064 MOD 11-2
// check character (0–9 or X).
type EID [IDLen]byte

// SID is a seller's identity sID_j: its 18-character unified social
// credit code (GB 32100-2015), which is also its taxpayer ID on invoices.
type SID [IDLen]byte

func (e EID) String() string { return string(e[:]) }
func (s SID) String() string { return string(s[:]) }

// ParseEID checks s (upper-case X) and returns it as an EID.
func ParseEID(s string) (EID, error) {
	var e EID
	if len(s) != IDLen {
		return e, fmt.Errorf("%w: resident ID number has %d characters, want 18", ErrBadID, len(s))
	}
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		if s[i] < '0' || s[i] > '9' {
			return e, fmt.Errorf("%w: resident ID number: character %d is not a digit", ErrBadID, i+1)
		}
		sum += int(s[i]-'0') * w
	}
	if want := "10X98765432"[sum%11]; s[17] != want {
		return e, fmt.Errorf("%w: resident ID number: check character %q, want %q", ErrBadID, s[17], want)
	}
	copy(e[:], s)
	return e, nil
}

// usccChars are the 31 characters of a unified social credit code, in
// the order of their values (no I, O, S, V, Z).
const usccChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// ParseSID checks s and returns it as an SID.
func ParseSID(s string) (SID, error) {
	var id SID
	if len(s) != IDLen {
		return id, fmt.Errorf("%w: unified social credit code has %d characters, want 18", ErrBadID, len(s))
	}
	weights := [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}
	sum := 0
	for i, w := range weights {
		v := strings.IndexByte(usccChars, s[i])
		if v < 0 {
			return id, fmt.Errorf("%w: unified social credit code: character %d %q not allowed", ErrBadID, i+1, s[i])
		}
		sum += v * w
	}
	if want := usccChars[(31-sum%31)%31]; s[17] != want {
		return id, fmt.Errorf("%w: unified social credit code: check character %q, want %q", ErrBadID, s[17], want)
	}
	copy(id[:], s)
	return id, nil
}
