package bank

// EnrollRequest is the paper's steps 3–4: under a password session the
// device sends the operator-issued authorization code and the PKCS#10
// request whose key pair the card generated.
type EnrollRequest struct {
	Session [TokenSize]byte
	Code    string
	CSR     []byte // PKCS#10, DER
}

func (m *EnrollRequest) MarshalBinary() ([]byte, error) {
	if err := checkField("code", m.Code, maxCode); err != nil {
		return nil, err
	}
	if err := checkField("csr", string(m.CSR), maxCSR); err != nil {
		return nil, err
	}
	w := writer(KindEnrollRequest)
	w.Fixed(m.Session[:])
	w.String16(m.Code)
	w.Bytes16(m.CSR)
	return w.B, nil
}

func (m *EnrollRequest) UnmarshalBinary(b []byte) error {
	r := reader(b, KindEnrollRequest)
	copy(m.Session[:], r.Fixed(TokenSize, "session"))
	m.Code = r.String16(maxCode, "code")
	m.CSR = r.Bytes16(maxCSR, "csr")
	return done(r, "enroll request")
}

// EnrollResponse carries the CA's PKCS#7 bundle (steps 5–6) and the id
// the device confirms with.
type EnrollResponse struct {
	ID [IDSize]byte
	P7 []byte
}

func (m *EnrollResponse) MarshalBinary() ([]byte, error) {
	if err := checkField("p7", string(m.P7), maxP7); err != nil {
		return nil, err
	}
	w := writer(KindEnrollResponse)
	w.Fixed(m.ID[:])
	w.Bytes16(m.P7)
	return w.B, nil
}

func (m *EnrollResponse) UnmarshalBinary(b []byte) error {
	r := reader(b, KindEnrollResponse)
	copy(m.ID[:], r.Fixed(IDSize, "id"))
	m.P7 = r.Bytes16(maxP7, "p7")
	return done(r, "enroll response")
}

// EnrollStatus is the device's report after steps 7–8.
type EnrollStatus uint8

const (
	// EnrollStored: the card checked the chain and stored the certificate.
	EnrollStored EnrollStatus = 1
	// EnrollFailed: the card refused or could not store it.
	EnrollFailed EnrollStatus = 2
)

// EnrollConfirm reports the outcome. With EnrollStored it carries the
// card's signature over the certificate's SM3 hash, which proves the card
// holds the certified key; only then is the certificate bound to the
// account.
type EnrollConfirm struct {
	ID     [IDSize]byte
	Status EnrollStatus
	Sig    []byte // SM2 by the new key over ctxEnrolled || id || SM3(cert); empty if failed
}

func (m *EnrollConfirm) MarshalBinary() ([]byte, error) {
	w := writer(KindEnrollConfirm)
	w.Fixed(m.ID[:])
	w.U8(uint8(m.Status))
	return appendSig(w.B, m.Sig)
}

func (m *EnrollConfirm) UnmarshalBinary(b []byte) error {
	r := reader(b, KindEnrollConfirm)
	copy(m.ID[:], r.Fixed(IDSize, "id"))
	m.Status = EnrollStatus(r.U8("status"))
	m.Sig = r.Bytes16(maxSig, "signature")
	if r.Err() == nil && m.Status != EnrollStored && m.Status != EnrollFailed {
		r.Fail("status %d", uint8(m.Status))
	}
	return done(r, "enroll confirm")
}

func enrolledMessage(id [IDSize]byte, cert []byte) []byte {
	h := sm3Sum(cert)
	return append(id[:len(id):len(id)], h[:]...)
}
