package ecashhttp

import (
	"context"
	"fmt"
	"net/http"

	"trustbank/ecash"
	"trustbank/groupsig"
)

func (s *server) beginEnroll(w http.ResponseWriter, r *http.Request) {
	var q BeginEnrollRequest
	en, err := s.enroller()
	if err == nil {
		err = decode(r, w, &q)
	}
	var ch *ecash.EnrollChallenge
	if err == nil {
		ch, err = en.Begin(r.Context(), &ecash.EnrollRequest{Identity: q.Identity, EKCert: q.EKCert, AIK: q.AIK})
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	reply(w, http.StatusOK, EnrollChallengeResponse{ID: ch.ID[:], Credential: ch.Credential, Expires: ch.Expires})
}

func (s *server) finishEnroll(w http.ResponseWriter, r *http.Request) {
	var q FinishEnrollRequest
	en, err := s.enroller()
	if err == nil {
		err = decode(r, w, &q)
	}
	var a ecash.EnrollAnswer
	if err == nil && len(q.ID) != len(a.ID) {
		err = fmt.Errorf("%w: challenge id of %d bytes", ecash.ErrMalformed, len(q.ID))
	}
	var mk *groupsig.MemberKey
	if err == nil {
		copy(a.ID[:], q.ID)
		a.Secret = q.Secret
		mk, err = en.Finish(r.Context(), &a)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	enc, _ := mk.MarshalBinary()
	reply(w, http.StatusOK, RegisterUserResponse{MemberKey: enc})
}

// enroller is the node's enrolment, or an error if it trusts no TPM
// manufacturer.
func (s *server) enroller() (*ecash.Enroller, error) {
	if s.Enroll == nil {
		return nil, fmt.Errorf("%w: this registry trusts no TPM manufacturer (no EK CA configured)", ecash.ErrAttestation)
	}
	return s.Enroll, nil
}

// BeginEnrollment sends the device's EK certificate and AIK for identity
// and returns GU's challenge.
func (c *Client) BeginEnrollment(ctx context.Context, q *ecash.EnrollRequest) (*ecash.EnrollChallenge, error) {
	var r EnrollChallengeResponse
	if err := c.do(ctx, http.MethodPost, "/v1/users/enroll", BeginEnrollRequest{Identity: q.Identity, EKCert: q.EKCert, AIK: q.AIK}, &r); err != nil {
		return nil, err
	}
	ch := &ecash.EnrollChallenge{Credential: r.Credential, Expires: r.Expires}
	if len(r.ID) != len(ch.ID) {
		return nil, fmt.Errorf("ecashhttp: enrolment challenge id of %d bytes", len(r.ID))
	}
	copy(ch.ID[:], r.ID)
	return ch, nil
}

// FinishEnrollment answers a challenge and returns the member key.
func (c *Client) FinishEnrollment(ctx context.Context, a *ecash.EnrollAnswer) (*groupsig.MemberKey, error) {
	var r RegisterUserResponse
	if err := c.do(ctx, http.MethodPost, "/v1/users/enroll/finish", FinishEnrollRequest{ID: a.ID[:], Secret: a.Secret}, &r); err != nil {
		return nil, err
	}
	return groupsig.ParseMemberKey(r.MemberKey)
}
