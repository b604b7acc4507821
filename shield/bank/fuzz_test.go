package bank

import (
	"testing"

	"trustbank/internal/dbtest"
	"trustbank/internal/fuzzcorpus"
	"trustbank/shield/bank/banktest"
)

type codec = fuzzcorpus.Codec

// seedMessages runs every flow once and returns one valid encoding of
// every message, by kind.
func seedMessages(f *testing.F) map[Kind][]byte {
	s := newSystem(f, dbtest.Target{Path: dbtest.SQLitePath(f)})
	out := map[Kind][]byte{}
	put := func(m codec) {
		b, err := m.MarshalBinary()
		must(f, err)
		out[Kind(b[0])] = b
	}
	must(f, s.srv.OpenAccount(ctx, "alice", "Alice", banktest.IDCard, "pw-alice", 10_000*yuan))
	s.customer("bob", 0)
	put(&PasswordLogin{Account: "alice", Password: "pw-alice"})
	ses := s.passwordLogin("alice")
	put(ses)
	card := banktest.NewSoftCard()
	d := s.device(card)
	code, err := s.srv.IssueAuthCode(ctx, "alice")
	must(f, err)
	req, err := d.EnrollRequest(ses, code, pkixName("alice"))
	must(f, err)
	put(req)
	resp, err := s.srv.Enroll(ctx, req)
	must(f, err)
	put(resp)
	conf, err := d.FinishEnrollment(ctx, card.Public(), resp)
	must(f, err)
	put(conf)
	must(f, s.srv.ConfirmEnrollment(ctx, conf))
	ch, err := s.srv.Challenge(ctx, "alice")
	must(f, err)
	put(ch)
	lr, err := d.AnswerLogin(ch)
	must(f, err)
	put(lr)
	cses, err := s.srv.Login(ctx, lr)
	must(f, err)
	pre := &PreSubmit{Session: cses.Token, Payment: Payment{"alice", "bob", "Bob", 100 * yuan}}
	put(pre)
	psr, err := s.srv.PreSubmit(ctx, pre)
	must(f, err)
	put(psr)
	o, err := d.OpenOrder(pre, psr)
	must(f, err)
	put(o)
	c, err := d.SignOrder(o, []byte("123456"))
	must(f, err)
	put(c)
	st := &SessionTransfer{Session: ses.Token, ID: newID(), Payment: pre.Payment}
	put(st)
	rc, err := s.srv.Transfer(ctx, st)
	must(f, err)
	put(rc)
	return out
}

// fuzzCodec fuzzes the codec of kind k, seeded from a real run.
func fuzzCodec(f *testing.F, k Kind, fresh func() codec) {
	seed := seedMessages(f)[k]
	if len(seed) == 0 {
		f.Fatalf("no seed of kind %d", k)
	}
	fuzzcorpus.RoundTrip(f, fresh, seed)
}

func FuzzPasswordLogin(f *testing.F) {
	fuzzCodec(f, KindPasswordLogin, func() codec { return new(PasswordLogin) })
}
func FuzzSession(f *testing.F) { fuzzCodec(f, KindSession, func() codec { return new(Session) }) }
func FuzzEnrollRequest(f *testing.F) {
	fuzzCodec(f, KindEnrollRequest, func() codec { return new(EnrollRequest) })
}
func FuzzEnrollResponse(f *testing.F) {
	fuzzCodec(f, KindEnrollResponse, func() codec { return new(EnrollResponse) })
}
func FuzzEnrollConfirm(f *testing.F) {
	fuzzCodec(f, KindEnrollConfirm, func() codec { return new(EnrollConfirm) })
}
func FuzzLoginChallenge(f *testing.F) {
	fuzzCodec(f, KindLoginChallenge, func() codec { return new(LoginChallenge) })
}
func FuzzLoginResponse(f *testing.F) {
	fuzzCodec(f, KindLoginResponse, func() codec { return new(LoginResponse) })
}
func FuzzPreSubmit(f *testing.F) { fuzzCodec(f, KindPreSubmit, func() codec { return new(PreSubmit) }) }
func FuzzOrder(f *testing.F)     { fuzzCodec(f, KindOrder, func() codec { return new(Order) }) }
func FuzzPreSubmitResponse(f *testing.F) {
	fuzzCodec(f, KindPreSubmitResponse, func() codec { return new(PreSubmitResponse) })
}
func FuzzConfirm(f *testing.F) { fuzzCodec(f, KindConfirm, func() codec { return new(Confirm) }) }
func FuzzSessionTransfer(f *testing.F) {
	fuzzCodec(f, KindSessionTransfer, func() codec { return new(SessionTransfer) })
}
func FuzzReceipt(f *testing.F) { fuzzCodec(f, KindReceipt, func() codec { return new(Receipt) }) }
