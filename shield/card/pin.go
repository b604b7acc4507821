package card

import "trustbank/shield/internal/apdu"

// verifyPIN: P1=00 P2=81. Without data it reports the tries left (9000
// when the PIN bit is already set); with an 8-byte PIN block it checks
// the PIN.
func (c *Card) verifyPIN(cmd *apdu.Command) ([]byte, apdu.StatusWord) {
	if p1p2(cmd) != 0x0081 {
		return nil, apdu.SWIncorrectP1P2
	}
	switch {
	case len(cmd.Data) == 0 && c.vol.sec&SecPIN != 0:
		return nil, apdu.SWOK
	case len(cmd.Data) == 0 && c.st.PINTries == 0:
		return nil, apdu.SWAuthBlocked
	case len(cmd.Data) == 0:
		return nil, apdu.WrongPIN(c.st.PINTries)
	case len(cmd.Data) != PINLen:
		return nil, apdu.SWWrongLength
	}
	return nil, c.checkPIN(cmd.Data)
}

// checkPIN is the anti-tearing PIN check: the try counter is durably
// decremented first, then the PIN compared, then the counter restored on a
// match. Power lost in between costs the try, never gains one.
func (c *Card) checkPIN(block []byte) apdu.StatusWord {
	c.vol.sec &^= SecPIN
	if c.st.PUKTries == 0 || c.st.PINTries == 0 {
		return apdu.SWAuthBlocked
	}
	c.st.PINTries--
	if sw := c.save(); sw != apdu.SWOK {
		return sw
	}
	if c.AfterPINDecrement != nil {
		c.AfterPINDecrement()
	}
	if !c.st.pinMatches(block, c.st.PINHash) {
		if c.st.PINTries == 0 {
			return apdu.SWAuthBlocked
		}
		return apdu.WrongPIN(c.st.PINTries)
	}
	c.st.PINTries = PINTries
	if sw := c.save(); sw != apdu.SWOK {
		return sw
	}
	c.vol.sec |= SecPIN
	return apdu.SWOK
}

// changePIN: P1=00 P2=81, data = old PIN block || new PIN block.
func (c *Card) changePIN(cmd *apdu.Command) ([]byte, apdu.StatusWord) {
	if p1p2(cmd) != 0x0081 {
		return nil, apdu.SWIncorrectP1P2
	}
	if len(cmd.Data) != 2*PINLen {
		return nil, apdu.SWWrongLength
	}
	newPIN := cmd.Data[PINLen:]
	if !validBlock(newPIN) {
		return nil, apdu.SWWrongData
	}
	if sw := c.checkPIN(cmd.Data[:PINLen]); sw != apdu.SWOK {
		return nil, sw
	}
	c.st.PINHash = c.st.hashPIN(newPIN)
	return nil, c.save()
}

// resetRetry (RESET RETRY COUNTER): P1=00 P2=81, data = PUK block || new
// PIN block. The PUK has its own counter, decremented durably before the
// comparison like the PIN's; at zero the card is dead.
func (c *Card) resetRetry(cmd *apdu.Command) ([]byte, apdu.StatusWord) {
	if p1p2(cmd) != 0x0081 {
		return nil, apdu.SWIncorrectP1P2
	}
	if len(cmd.Data) != 2*PINLen {
		return nil, apdu.SWWrongLength
	}
	newPIN := cmd.Data[PINLen:]
	if !validBlock(newPIN) {
		return nil, apdu.SWWrongData
	}
	if c.st.PUKTries == 0 {
		return nil, apdu.SWAuthBlocked
	}
	c.st.PUKTries--
	if sw := c.save(); sw != apdu.SWOK {
		return nil, sw
	}
	if c.AfterPINDecrement != nil {
		c.AfterPINDecrement()
	}
	if !c.st.pinMatches(cmd.Data[:PINLen], c.st.PUKHash) {
		if c.st.PUKTries == 0 {
			return nil, apdu.SWAuthBlocked
		}
		return nil, apdu.WrongPIN(c.st.PUKTries)
	}
	c.st.PUKTries, c.st.PINTries = PUKTries, PINTries
	c.st.PINHash = c.st.hashPIN(newPIN)
	return nil, c.save()
}

// validBlock reports whether b is a PIN block pinBlock would make.
func validBlock(b []byte) bool {
	n := 0
	for n < len(b) && b[n] >= '0' && b[n] <= '9' {
		n++
	}
	for _, x := range b[n:] {
		if x != 0xFF {
			return false
		}
	}
	return n >= 4
}
