package apdu

import "fmt"

// StatusWord is SW1 SW2 of a response. A StatusWord other than SWOK is an
// error, so a transport can return it and callers can match it with
// errors.Is (a 63Cx matches SWWrongPIN whatever x is).
type StatusWord uint16

// The status words shield/card uses (ISO/IEC 7816-4 §5.6).
const (
	SWOK                   StatusWord = 0x9000
	SWWrongPIN             StatusWord = 0x63C0 // 63Cx: x tries left
	SWMemoryFailure        StatusWord = 0x6581
	SWVerifyFailed         StatusWord = 0x6300 // authentication or verification failed
	SWWrongLength          StatusWord = 0x6700
	SWSecurityNotSatisfied StatusWord = 0x6982
	SWAuthBlocked          StatusWord = 0x6983
	SWConditionsNotMet     StatusWord = 0x6985
	SWSMIncorrect          StatusWord = 0x6988
	SWWrongData            StatusWord = 0x6A80
	SWFileNotFound         StatusWord = 0x6A82
	SWNotEnoughMemory      StatusWord = 0x6A84
	SWIncorrectP1P2        StatusWord = 0x6A86
	SWRefDataNotFound      StatusWord = 0x6A88
	SWWrongOffset          StatusWord = 0x6B00
	SWINSNotSupported      StatusWord = 0x6D00
	SWCLANotSupported      StatusWord = 0x6E00
	SWNoPreciseDiagnosis   StatusWord = 0x6F00
)

// WrongPIN is 63Cx with x = tries left (0–15).
func WrongPIN(left int) StatusWord { return SWWrongPIN | StatusWord(min(max(left, 0), 15)) }

// TriesLeft returns x of a 63Cx status word.
func (s StatusWord) TriesLeft() (int, bool) {
	if s&0xFFF0 != SWWrongPIN {
		return 0, false
	}
	return int(s & 0x0F), true
}

// Error makes a status word an error.
func (s StatusWord) Error() string { return "apdu: status " + s.String() }

// Is matches every 63Cx against SWWrongPIN.
func (s StatusWord) Is(target error) bool {
	t, ok := target.(StatusWord)
	if !ok {
		return false
	}
	if _, wrong := s.TriesLeft(); wrong && t == SWWrongPIN {
		return true
	}
	return s == t
}

var names = map[StatusWord]string{
	SWOK: "ok", SWVerifyFailed: "verification failed", SWMemoryFailure: "memory failure", SWWrongLength: "wrong length",
	SWSecurityNotSatisfied: "security status not satisfied", SWAuthBlocked: "authentication method blocked",
	SWConditionsNotMet: "conditions of use not satisfied", SWSMIncorrect: "SM data objects incorrect",
	SWWrongData: "wrong data", SWFileNotFound: "file not found", SWNotEnoughMemory: "not enough memory",
	SWIncorrectP1P2: "incorrect P1-P2", SWRefDataNotFound: "referenced data not found",
	SWWrongOffset: "offset outside the EF", SWINSNotSupported: "INS not supported",
	SWCLANotSupported: "CLA not supported", SWNoPreciseDiagnosis: "no precise diagnosis",
}

// String is the hex status word and its meaning.
func (s StatusWord) String() string {
	if n, ok := s.TriesLeft(); ok {
		return fmt.Sprintf("%04X (wrong PIN, %d tries left)", uint16(s), n)
	}
	if name, ok := names[s]; ok {
		return fmt.Sprintf("%04X (%s)", uint16(s), name)
	}
	return fmt.Sprintf("%04X", uint16(s))
}
