package card

import (
	"bytes"
	"encoding/binary"

	"trustbank/shield/internal/apdu"
)

// Certificate EFs: FIDs FirstEF … LastEF.
const (
	FirstEF uint16 = 0xC001
	LastEF  uint16 = 0xC008
)

// selectCmd: P1=04 P2=00 selects the application by AID (and clears the
// volatile state, as a fresh selection does); P1=02 P2=0C selects a
// certificate EF by FID.
func (c *Card) selectCmd(cmd *apdu.Command) ([]byte, apdu.StatusWord) {
	switch p1p2(cmd) {
	case 0x0400:
		if !bytes.Equal(cmd.Data, AID) {
			return nil, apdu.SWFileNotFound
		}
		c.vol.reset()
		c.vol.selected = true
		return nil, apdu.SWOK
	case 0x020C:
		if !c.vol.selected {
			return nil, apdu.SWConditionsNotMet
		}
		if len(cmd.Data) != 2 {
			return nil, apdu.SWWrongLength
		}
		fid := binary.BigEndian.Uint16(cmd.Data)
		if fid < FirstEF || fid > LastEF {
			return nil, apdu.SWFileNotFound
		}
		c.vol.ef = fid
		return nil, apdu.SWOK
	}
	return nil, apdu.SWIncorrectP1P2
}

// readBinary: P1-P2 is the offset (P1 bit 8 clear) in the selected EF.
func (c *Card) readBinary(cmd *apdu.Command) ([]byte, apdu.StatusWord) {
	if cmd.P1&0x80 != 0 || len(cmd.Data) != 0 {
		return nil, apdu.SWIncorrectP1P2
	}
	if c.vol.ef == 0 {
		return nil, apdu.SWConditionsNotMet
	}
	f, off := c.st.Files[c.vol.ef], int(p1p2(cmd))
	if off > len(f) {
		return nil, apdu.SWWrongOffset
	}
	n := min(len(f)-off, max(cmd.Ne, 1))
	if cmd.Ne == 0 {
		n = len(f) - off
	}
	return append([]byte(nil), f[off:off+n]...), apdu.SWOK
}

// updateBinary writes the data at offset P1-P2 of the selected EF, growing
// it; the store of all EFs together is limited to StoreLimit bytes.
func (c *Card) updateBinary(cmd *apdu.Command) ([]byte, apdu.StatusWord) {
	if cmd.P1&0x80 != 0 {
		return nil, apdu.SWIncorrectP1P2
	}
	if len(cmd.Data) == 0 {
		return nil, apdu.SWWrongLength
	}
	if sw := c.writable(); sw != apdu.SWOK {
		return nil, sw
	}
	f, off := c.st.Files[c.vol.ef], int(p1p2(cmd))
	if off > len(f) {
		return nil, apdu.SWWrongOffset
	}
	grown := max(len(f), off+len(cmd.Data))
	if c.st.used()-len(f)+grown > StoreLimit {
		return nil, apdu.SWNotEnoughMemory
	}
	nf := make([]byte, grown)
	copy(nf, f)
	copy(nf[off:], cmd.Data)
	return c.setFile(nf)
}

// eraseBinary truncates the selected EF at offset P1-P2 (ERASE BINARY:
// erase from the offset to the end).
func (c *Card) eraseBinary(cmd *apdu.Command) ([]byte, apdu.StatusWord) {
	if cmd.P1&0x80 != 0 || len(cmd.Data) != 0 {
		return nil, apdu.SWIncorrectP1P2
	}
	if sw := c.writable(); sw != apdu.SWOK {
		return nil, sw
	}
	f, off := c.st.Files[c.vol.ef], int(p1p2(cmd))
	if off > len(f) {
		return nil, apdu.SWWrongOffset
	}
	return c.setFile(append([]byte(nil), f[:off]...))
}

// writable checks that an EF is selected (6985) and that UPDATE and
// ERASE BINARY may change it (6982 for the EFs only ACTIVATE writes).
func (c *Card) writable() apdu.StatusWord {
	switch {
	case c.vol.ef == 0:
		return apdu.SWConditionsNotMet
	case protected(c.vol.ef):
		return apdu.SWSecurityNotSatisfied
	}
	return apdu.SWOK
}

func (c *Card) setFile(f []byte) ([]byte, apdu.StatusWord) {
	if c.st.Files == nil {
		c.st.Files = map[uint16][]byte{}
	}
	c.st.Files[c.vol.ef] = f
	if len(f) == 0 {
		delete(c.st.Files, c.vol.ef)
	}
	return nil, c.save()
}

// getData: P1-P2 0101 the card's (active) public key; 0102 the status
// record; 0103 the trusted root key; 0104 the pending public key.
func (c *Card) getData(cmd *apdu.Command) ([]byte, apdu.StatusWord) {
	if len(cmd.Data) != 0 {
		return nil, apdu.SWWrongLength
	}
	switch p1p2(cmd) {
	case 0x0101:
		if c.key == nil {
			return nil, apdu.SWRefDataNotFound
		}
		return publicBytes(c.key), apdu.SWOK
	case 0x0102:
		return c.statusRecord().MarshalBinary(), apdu.SWOK
	case 0x0103:
		if len(c.st.Root) == 0 {
			return nil, apdu.SWRefDataNotFound
		}
		return append([]byte(nil), c.st.Root...), apdu.SWOK
	case 0x0104:
		if c.next == nil {
			return nil, apdu.SWRefDataNotFound
		}
		return publicBytes(c.next), apdu.SWOK
	}
	return nil, apdu.SWIncorrectP1P2
}
