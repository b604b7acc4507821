package bank

import (
	"bytes"
	"context"
	"fmt"

	"github.com/emmansun/gmsm/pkcs7"
	"github.com/emmansun/gmsm/smx509"
)

// Enroll checks the session and the authorization code (used up here,
// whatever follows), has the CA issue a certificate for the PKCS#10
// request and returns the P7 bundle. The certificate is bound to the
// account only when the device confirms (ConfirmEnrollment).
func (s *Server) Enroll(ctx context.Context, m *EnrollRequest) (*EnrollResponse, error) {
	ses, err := s.session(ctx, m.Session)
	if err != nil {
		return nil, err
	}
	csr, err := smx509.ParseCertificateRequest(m.CSR)
	if err != nil {
		return nil, fmt.Errorf("%w: PKCS#10: %v", ErrMalformed, err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("%w: PKCS#10: %v", ErrBadSignature, err)
	}
	code := sm3Sum([]byte(m.Code))
	if err := s.c.Store.AuthCodeValid(ctx, code, ses.Account, s.c.Now()); err != nil {
		return nil, err
	}
	p7, err := s.c.CA.Issue(ctx, ses.Account, m.CSR)
	if err != nil {
		return nil, fmt.Errorf("bank: CA: %w", err)
	}
	leaf, err := leafFor(p7, csr)
	if err != nil {
		return nil, err
	}
	if _, _, err := s.c.Trust.Verify(ctx, leaf, s.c.Now()); err != nil {
		return nil, fmt.Errorf("bank: CA issued a certificate we do not accept: %w", err)
	}
	e := Enrollment{ID: newID(), Account: ses.Account, Cert: leaf, P7: p7, State: StatePending, At: s.c.Now()}
	if err := s.c.Store.BeginEnrollment(ctx, code, s.c.Now(), e); err != nil {
		return nil, err
	}
	return &EnrollResponse{ID: e.ID, P7: p7}, nil
}

// leafFor returns the certificate of p7 for the request's key.
func leafFor(p7 []byte, csr *smx509.CertificateRequest) ([]byte, error) {
	certs, err := parseP7(p7)
	if err != nil {
		return nil, err
	}
	want, err := smx509.MarshalPKIXPublicKey(csr.PublicKey)
	if err != nil {
		return nil, err
	}
	for _, c := range certs {
		if got, err := smx509.MarshalPKIXPublicKey(c.PublicKey); err == nil && bytes.Equal(got, want) {
			return c.Raw, nil
		}
	}
	return nil, fmt.Errorf("%w: P7 holds no certificate for the requested key", ErrCertificate)
}

func parseP7(p7 []byte) ([]*smx509.Certificate, error) {
	p, err := pkcs7.Parse(p7)
	if err != nil {
		return nil, fmt.Errorf("%w: P7: %v", ErrCertificate, err)
	}
	return p.Certificates, nil
}

// ConfirmEnrollment applies the device's status: EnrollStored with the
// new key's signature binds the certificate to the account. The same
// confirmation again (its answer was lost, or a login already bound the
// enrollment) is answered nil and changes nothing.
func (s *Server) ConfirmEnrollment(ctx context.Context, m *EnrollConfirm) error {
	e, err := s.c.Store.Enrollment(ctx, m.ID)
	if err != nil {
		return err
	}
	to, err := e.State.Next(m.Status)
	if err != nil {
		return err
	}
	if to == StateBound {
		cert, err := smx509.ParseCertificate(e.Cert)
		if err != nil {
			return err
		}
		if err := verifySM2(ecdsaKey(cert), ctxEnrolled, enrolledMessage(m.ID, e.Cert), m.Sig); err != nil {
			return err
		}
	}
	return s.c.Store.FinishEnrollment(ctx, m.ID, to)
}
