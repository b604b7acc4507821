package trust

import "errors"

// Errors. Callers test with errors.Is; messages carry the details.
var (
	// ErrMalformed: a message or argument that does not decode or is out
	// of range (a T_c outside [0,1], an empty id, a tier that is none).
	ErrMalformed = errors.New("trust: malformed")
	// ErrUnknownUser: no such user at the identity provider.
	ErrUnknownUser = errors.New("trust: unknown user")
	// ErrUserExists: the user id is taken by another client key.
	ErrUserExists = errors.New("trust: user id already registered with another client key")
	// ErrUserRevoked: the user has left (Provider.Revoke); its keys are
	// destroyed and its signatures refused.
	ErrUserRevoked = errors.New("trust: user revoked")
	// ErrUnknownService: no service with this id is registered at the
	// provider.
	ErrUnknownService = errors.New("trust: unknown service")
	// ErrServiceExists: the service id is taken by another key.
	ErrServiceExists = errors.New("trust: service id already registered with another key")
	// ErrForgedFeedback: a feedback report that the named service's key
	// did not sign.
	ErrForgedFeedback = errors.New("trust: feedback report not signed by the service")
	// ErrFeedbackConflict: a report for a (service, transaction) already
	// counted, with other contents.
	ErrFeedbackConflict = errors.New("trust: transaction already rated with a different report")
	// ErrFeedbackStale: the authentication a report rates is outside the
	// feedback window, or was made with a key that was not current then.
	ErrFeedbackStale = errors.New("trust: report rates an authentication outside the feedback window")
	// ErrNotMember: the authentication's group signature does not verify
	// (under the named tier's key, for the named service and challenge).
	ErrNotMember = errors.New("trust: group signature does not verify under the tier's key")
	// ErrStaleKey: the signature was made at another epoch than the tier
	// group's current one — a revoked or re-grouped member, or a client
	// that must fetch its updates first.
	ErrStaleKey = errors.New("trust: signature not at the tier group's current epoch")
	// ErrReplay: the challenge is unknown, expired or already answered.
	ErrReplay = errors.New("trust: challenge unknown, expired or already used")
	// ErrExpired: the authentication's timestamp is outside the window.
	ErrExpired = errors.New("trust: authentication timestamp outside the window")
	// ErrWrongService: the authentication names another service.
	ErrWrongService = errors.New("trust: authentication is for another service")
	// ErrNoSession: no authenticated session with this transaction id.
	ErrNoSession = errors.New("trust: no session with this transaction id")
	// ErrForbidden: the tier's policy does not allow the request.
	ErrForbidden = errors.New("trust: the tier's policy refuses this request")
	// ErrRateLimited: the session or the tier used up its request budget.
	ErrRateLimited = errors.New("trust: request rate limit reached")
	// ErrBusy: too many challenges outstanding; try again later.
	ErrBusy = errors.New("trust: too many outstanding challenges")
)
