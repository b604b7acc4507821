package einvoice

// The six messages of the issuance protocol (package documentation,
// "Messages"). Each has one canonical binary encoding, kind byte first;
// UnmarshalBinary accepts exactly what MarshalBinary writes.

// Request is message 1, buyer → system:
// (HID_i, Hb_i, ρ, C_i1, C_i2, S_i, t_i).
type Request struct {
	Identity
	C1 []byte // ENC_TKi(sID_j): exactly IDLen+EncOverhead bytes
	C2 []byte // ENC_TKi(M_i)
	S  [MACLen]byte
	T  uint32
}

// VerifyRequest is message 2, system → seller: (C_e, S_e, t_e).
type VerifyRequest struct {
	C []byte // ENC_TKj(m_i)
	S [MACLen]byte
	T uint32
}

// VerifyResponse is message 3, seller → system: (C_j, S_j, t_j).
type VerifyResponse struct {
	C []byte // ENC_TKj(m_j)
	S [MACLen]byte
	T uint32
}

// InvoiceResponse is message 4, system → buyer: (sid, c_e, s_e).
type InvoiceResponse struct {
	Session [SessionLen]byte
	C       []byte // ENC_TKi(M_e, ρ', HID', Hb')
	S       [MACLen]byte
}

// Confirm is message 5, buyer → system: (sid, R_i).
type Confirm struct {
	Session [SessionLen]byte
	R       [MACLen]byte
}

// Notice is message 6, system → seller: (C_n, S_n, t_n).
type Notice struct {
	C []byte // ENC_TKn(m_i, invoice number)
	S [MACLen]byte
	T uint32
}

// MarshalBinary encodes message 1.
func (m *Request) MarshalBinary() ([]byte, error) {
	w := writer(KindRequest)
	w.Fixed(m.HID[:])
	w.Fixed(m.Hb[:])
	w.Fixed(m.Rho[:])
	w.Fixed(m.C1)
	w.Bytes16(m.C2)
	w.Fixed(m.S[:])
	w.U32(m.T)
	if len(m.C1) != IDLen+EncOverhead {
		return nil, errLen("C_i1", len(m.C1))
	}
	return w.B, nil
}

// UnmarshalBinary decodes message 1.
func (m *Request) UnmarshalBinary(b []byte) error {
	r := reader(b, KindRequest)
	var d Request
	fixed(r, d.HID[:], "HID_i")
	fixed(r, d.Hb[:], "Hb_i")
	fixed(r, d.Rho[:], "rho")
	d.C1 = r.Fixed(IDLen+EncOverhead, "C_i1")
	d.C2 = r.Bytes16(maxCipher, "C_i2")
	fixed(r, d.S[:], "S_i")
	d.T = r.U32("t_i")
	if err := done(r, "request"); err != nil {
		return err
	}
	*m = d
	return nil
}

// encodeCST encodes the (C, S, t) shape of messages 2, 3 and 6.
func encodeCST(k Kind, c []byte, s *[MACLen]byte, t uint32) ([]byte, error) {
	if len(c) > maxCipher {
		return nil, errLen("ciphertext", len(c))
	}
	w := writer(k)
	w.Bytes16(c)
	w.Fixed(s[:])
	w.U32(t)
	return w.B, nil
}

func decodeCST(b []byte, k Kind, what string) (c []byte, s [MACLen]byte, t uint32, err error) {
	r := reader(b, k)
	c = r.Bytes16(maxCipher, "ciphertext")
	fixed(r, s[:], "MAC")
	t = r.U32("timestamp")
	return c, s, t, done(r, what)
}

// MarshalBinary encodes message 2.
func (m *VerifyRequest) MarshalBinary() ([]byte, error) {
	return encodeCST(KindVerifyRequest, m.C, &m.S, m.T)
}

// UnmarshalBinary decodes message 2.
func (m *VerifyRequest) UnmarshalBinary(b []byte) error {
	c, s, t, err := decodeCST(b, KindVerifyRequest, "verification request")
	if err == nil {
		*m = VerifyRequest{C: c, S: s, T: t}
	}
	return err
}

// MarshalBinary encodes message 3.
func (m *VerifyResponse) MarshalBinary() ([]byte, error) {
	return encodeCST(KindVerifyResponse, m.C, &m.S, m.T)
}

// UnmarshalBinary decodes message 3.
func (m *VerifyResponse) UnmarshalBinary(b []byte) error {
	c, s, t, err := decodeCST(b, KindVerifyResponse, "verification response")
	if err == nil {
		*m = VerifyResponse{C: c, S: s, T: t}
	}
	return err
}

// MarshalBinary encodes message 4.
func (m *InvoiceResponse) MarshalBinary() ([]byte, error) {
	if len(m.C) > maxCipher {
		return nil, errLen("c_e", len(m.C))
	}
	w := writer(KindInvoiceResponse)
	w.Fixed(m.Session[:])
	w.Bytes16(m.C)
	w.Fixed(m.S[:])
	return w.B, nil
}

// UnmarshalBinary decodes message 4.
func (m *InvoiceResponse) UnmarshalBinary(b []byte) error {
	r := reader(b, KindInvoiceResponse)
	var d InvoiceResponse
	fixed(r, d.Session[:], "sid")
	d.C = r.Bytes16(maxCipher, "c_e")
	fixed(r, d.S[:], "s_e")
	if err := done(r, "invoice response"); err != nil {
		return err
	}
	*m = d
	return nil
}

// MarshalBinary encodes message 5.
func (m *Confirm) MarshalBinary() ([]byte, error) {
	w := writer(KindConfirm)
	w.Fixed(m.Session[:])
	w.Fixed(m.R[:])
	return w.B, nil
}

// UnmarshalBinary decodes message 5.
func (m *Confirm) UnmarshalBinary(b []byte) error {
	r := reader(b, KindConfirm)
	var d Confirm
	fixed(r, d.Session[:], "sid")
	fixed(r, d.R[:], "R_i")
	if err := done(r, "confirmation"); err != nil {
		return err
	}
	*m = d
	return nil
}

// MarshalBinary encodes message 6.
func (m *Notice) MarshalBinary() ([]byte, error) {
	return encodeCST(KindNotice, m.C, &m.S, m.T)
}

// UnmarshalBinary decodes message 6.
func (m *Notice) UnmarshalBinary(b []byte) error {
	c, s, t, err := decodeCST(b, KindNotice, "notice")
	if err == nil {
		*m = Notice{C: c, S: s, T: t}
	}
	return err
}
