package bank

import (
	"errors"
	"sync"
	"testing"
	"time"

	"trustbank/internal/dbtest"
	"trustbank/shield/bank/banktest"
)

const yuan = 100 // fen

func TestEnrollLoginTransfer(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := newSystem(t, tg)
		d, _, ses := s.aliceAndBob(100_000 * yuan)
		if ses.Level != LevelCertificate {
			t.Fatalf("level %v", ses.Level)
		}
		rc, err := s.srv.Confirm(ctx, s.signedConfirm(d, ses, Payment{"alice", "bob", "Bob", 60_000 * yuan}))
		must(t, err)
		if rc.Balance != 40_000*yuan || rc.DayTotal != 60_000*yuan || rc.Level != LevelCertificate {
			t.Fatalf("receipt %+v", rc)
		}
		if s.balance("bob") != 60_000*yuan {
			t.Fatal("payee not credited")
		}
		s.checkMoney(100_000 * yuan)
	})
}

func TestAttackReplayedLoginAfterRestart(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := newSystem(t, tg)
		d, _ := s.customer("alice", 0)
		_, resp := s.answer(d, "alice")
		_, err := s.srv.Login(ctx, resp)
		must(t, err)
		if _, err := s.srv.Login(ctx, resp); !errors.Is(err, ErrChallengeUsed) {
			t.Fatalf("replay: %v", err)
		}
		s.restart()
		if _, err := s.srv.Login(ctx, resp); !errors.Is(err, ErrChallengeUsed) {
			t.Fatalf("replay after restart: %v", err)
		}
	})
}

func TestAttackExpiredChallenge(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := newSystem(t, tg)
		d, _ := s.customer("alice", 0)
		_, resp := s.answer(d, "alice")
		s.clock.Add(3 * time.Minute)
		if _, err := s.srv.Login(ctx, resp); !errors.Is(err, ErrChallenge) {
			t.Fatalf("expired challenge: %v", err)
		}
	})
}

func TestAttackForgedServerChallenge(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := newSystem(t, tg)
		d, _ := s.customer("alice", 0)
		ch, err := s.srv.Challenge(ctx, "alice")
		must(t, err)
		ch.Nonce[0] ^= 1 // a phishing server's own nonce under the real signature
		if _, err := d.AnswerLogin(ch); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("device signed a forged challenge: %v", err)
		}
	})
}

func TestAttackReplayedConfirmAfterRestart(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := newSystem(t, tg)
		d, _, ses := s.aliceAndBob(10_000 * yuan)
		conf := s.signedConfirm(d, ses, Payment{"alice", "bob", "Bob", 1_000 * yuan})
		first, err := s.srv.Confirm(ctx, conf)
		must(t, err)
		s.restart()
		// The identical confirmation is a retry: the same receipt, no second transfer.
		again, err := s.srv.Confirm(ctx, conf)
		must(t, err)
		if *again != *first || s.balance("alice") != 9_000*yuan {
			t.Fatalf("retry booked again: %+v vs %+v, balance %d", again, first, s.balance("alice"))
		}
		// A fresh signature over the same order (same nonce) is refused.
		resigned := s.resign(d, conf)
		if _, err := s.srv.Confirm(ctx, resigned); !errors.Is(err, ErrNonceUsed) {
			t.Fatalf("re-signed confirm: %v", err)
		}
		if s.balance("alice") != 9_000*yuan {
			t.Fatal("second transfer")
		}
		s.checkMoney(10_000 * yuan)
	})
}

func TestAttackModifiedConfirm(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := newSystem(t, tg)
		d, card := s.customer("alice", 10_000*yuan)
		s.customer("bob", 0)
		s.customer("mallory", 0)
		ses := s.certLogin(d, "alice")
		conf := s.signedConfirm(d, ses, Payment{"alice", "bob", "Bob", 100 * yuan})
		var o Order
		must(t, o.UnmarshalBinary(conf.Order))
		for name, change := range map[string]func(*Order){
			"amount": func(o *Order) { o.Amount = 9_000 * yuan },
			"payee":  func(o *Order) { o.Payee, o.PayeeName = "mallory", "Mallory" },
		} {
			m := o
			change(&m)
			enc, err := m.MarshalBinary()
			must(t, err)
			// Even the card's own signature over the changed text is refused:
			// the text is not the order the server issued.
			sig, err := card.Sign(append([]byte(ctxConfirm), enc...))
			must(t, err)
			if _, err := s.srv.Confirm(ctx, &Confirm{Order: enc, Sig: sig}); !errors.Is(err, ErrOrderMismatch) {
				t.Fatalf("%s changed: %v", name, err)
			}
			if _, err := s.srv.Confirm(ctx, &Confirm{Order: enc, Sig: conf.Sig}); !errors.Is(err, ErrOrderMismatch) {
				t.Fatalf("%s changed, old signature: %v", name, err)
			}
		}
		bad := *conf
		bad.Sig = append([]byte(nil), conf.Sig...)
		bad.Sig[len(bad.Sig)-1] ^= 1
		if _, err := s.srv.Confirm(ctx, &bad); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("bad signature: %v", err)
		}
		if s.balance("alice") != 10_000*yuan || s.balance("mallory") != 0 {
			t.Fatal("money moved")
		}
		_, err := s.srv.Confirm(ctx, conf)
		must(t, err) // the genuine confirmation still goes through
	})
}

func TestAttackTamperedOrderSignature(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := newSystem(t, tg)
		d, card, ses := s.aliceAndBob(10_000 * yuan)
		pre := &PreSubmit{Session: ses.Token, Payment: Payment{"alice", "bob", "Bob", 100 * yuan}}
		resp, err := s.srv.PreSubmit(ctx, pre)
		must(t, err)
		plain, err := card.Decrypt(resp.Sealed)
		must(t, err)
		var o Order
		must(t, o.UnmarshalBinary(plain))
		o.ServerSig[len(o.ServerSig)-1] ^= 1
		enc, err := o.MarshalBinary()
		must(t, err)
		resealed := &PreSubmitResponse{ID: resp.ID, Sealed: s.sealTo(card, enc)}
		if _, err := d.OpenOrder(pre, resealed); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("tampered server signature: %v", err)
		}
		// A validly signed order for another payment than submitted is refused too.
		other := &PreSubmit{Session: ses.Token, Payment: Payment{"alice", "bob", "Bob", 200 * yuan}}
		if _, err := d.OpenOrder(other, resp); !errors.Is(err, ErrOrderMismatch) {
			t.Fatalf("order for another payment: %v", err)
		}
	})
}

func TestAttackAuthCode(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := newSystem(t, tg)
		must(t, s.srv.OpenAccount(ctx, "alice", "Alice", banktest.IDCard, "pw-alice", 0))
		must(t, s.srv.OpenAccount(ctx, "eve", "Eve", banktest.IDCard, "pw-eve", 0))
		d := s.device(&banktest.SoftCard{PIN: "1"})
		ses := s.passwordLogin("alice")
		code, err := s.srv.IssueAuthCode(ctx, "alice")
		must(t, err)
		enroll := func(ses *Session, code string) error {
			req, err := d.EnrollRequest(ses, code, pkixName("alice"))
			must(t, err)
			_, err = s.srv.Enroll(ctx, req)
			return err
		}
		if err := enroll(s.passwordLogin("eve"), code); !errors.Is(err, ErrCodeInvalid) {
			t.Fatalf("alice's code under eve's session: %v", err)
		}
		must(t, enroll(ses, code))
		if err := enroll(ses, code); !errors.Is(err, ErrCodeInvalid) {
			t.Fatalf("reused code: %v", err)
		}
		s.restart()
		if err := enroll(ses, code); !errors.Is(err, ErrCodeInvalid) {
			t.Fatalf("reused code after restart: %v", err)
		}
		late, err := s.srv.IssueAuthCode(ctx, "alice")
		must(t, err)
		s.clock.Add(25 * time.Hour)
		ses = s.passwordLogin("alice")
		if err := enroll(ses, late); !errors.Is(err, ErrCodeInvalid) {
			t.Fatalf("expired code: %v", err)
		}
		if _, err := s.srv.PasswordLogin(ctx, &PasswordLogin{Account: "alice", Password: "guess"}); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("wrong password: %v", err)
		}
	})
}

func TestAttackCertificateNotChaining(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := newSystem(t, tg)
		rogue := newTestCA(t, "rogue")
		honest := s.ca
		s.ca = rogue // the server now sends CSRs to a CA whose root it does not pin
		s.restart()
		s.srv.c.Trust = honest.trust()
		must(t, s.srv.OpenAccount(ctx, "alice", "Alice", banktest.IDCard, "pw-alice", 0))
		d := s.device(&banktest.SoftCard{PIN: "1"})
		code, err := s.srv.IssueAuthCode(ctx, "alice")
		must(t, err)
		req, err := d.EnrollRequest(s.passwordLogin("alice"), code, pkixName("alice"))
		must(t, err)
		if _, err := s.srv.Enroll(ctx, req); !errors.Is(err, ErrCertificate) {
			t.Fatalf("certificate from an unpinned root: %v", err)
		}
	})
}

func TestAttackRevokedCertificateLogin(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := newSystem(t, tg)
		d, card := s.customer("alice", 0)
		s.certLogin(d, "alice")
		s.ca.revoke(card.Cert)
		_, resp := s.answer(d, "alice")
		if _, err := s.srv.Login(ctx, resp); !errors.Is(err, ErrRevoked) {
			t.Fatalf("revoked certificate: %v", err)
		}
	})
}

func TestAttackLoginWithAnotherKey(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := newSystem(t, tg)
		s.customer("alice", 0)
		thief, _ := s.customer("mallory", 0) // a valid card, but mallory's
		_, resp := s.answer(thief, "alice")
		if _, err := s.srv.Login(ctx, resp); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("login to alice with mallory's card: %v", err)
		}
	})
}

func TestDailyLimit(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := newSystem(t, tg)
		d, _ := s.customer("alice", 200_000*yuan)
		s.customer("bob", 0)
		// 23:00 China time: the day ends in an hour.
		s.clock.Set(time.Date(2026, 11, 30, 23, 0, 0, 0, ChinaTime))
		ses := s.passwordLogin("alice")
		pay := func(amount uint64) error {
			_, err := s.srv.Transfer(ctx, &SessionTransfer{Session: ses.Token, ID: newID(), Payment: Payment{"alice", "bob", "Bob", amount}})
			return err
		}
		must(t, pay(30_000*yuan))
		must(t, pay(20_000*yuan)) // exactly 50,000: allowed
		if err := pay(1); !errors.Is(err, ErrCertificateRequired) {
			t.Fatalf("over the limit: %v", err)
		}
		// The card-signed path is allowed above the limit, and counts.
		cses := s.certLogin(d, "alice")
		rc, err := s.srv.Confirm(ctx, s.signedConfirm(d, cses, Payment{"alice", "bob", "Bob", 10_000 * yuan}))
		must(t, err)
		if rc.DayTotal != 60_000*yuan || rc.Day != "2026-11-30" {
			t.Fatalf("receipt %+v", rc)
		}
		// 00:00 in Shanghai is 16:00 UTC: a new day.
		s.clock.Set(time.Date(2026, 11, 30, 16, 0, 0, 0, time.UTC))
		ses = s.passwordLogin("alice")
		must(t, pay(50_000*yuan))
		if err := pay(1); !errors.Is(err, ErrCertificateRequired) {
			t.Fatalf("over the limit on day two: %v", err)
		}
		s.checkMoney(200_000 * yuan)
	})
}

func TestDailyLimitConcurrent(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := newSystem(t, tg)
		must(t, s.srv.OpenAccount(ctx, "alice", "Alice", banktest.IDCard, "pw-alice", 100_000*yuan))
		must(t, s.srv.OpenAccount(ctx, "bob", "Bob", banktest.IDCard, "pw-bob", 0))
		ses := s.passwordLogin("alice")
		var wg sync.WaitGroup
		var mu sync.Mutex
		var accepted uint64
		for range 20 {
			wg.Go(func() {
				rc, err := s.srv.Transfer(ctx, &SessionTransfer{Session: ses.Token, ID: newID(), Payment: Payment{"alice", "bob", "Bob", 3_000 * yuan}})
				if err != nil && !errors.Is(err, ErrCertificateRequired) {
					t.Error(err)
				}
				if err == nil {
					mu.Lock()
					accepted += rc.Amount
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if accepted != 48_000*yuan || s.balance("bob") != accepted {
			t.Fatalf("accepted %d fen, bob has %d; want 48,000 CNY (16 × 3,000)", accepted, s.balance("bob"))
		}
		s.checkMoney(100_000 * yuan)
	})
}

func TestSessionTransferRetry(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := newSystem(t, tg)
		must(t, s.srv.OpenAccount(ctx, "alice", "Alice", banktest.IDCard, "pw-alice", 1_000*yuan))
		must(t, s.srv.OpenAccount(ctx, "bob", "Bob", banktest.IDCard, "pw-bob", 0))
		m := &SessionTransfer{Session: s.passwordLogin("alice").Token, ID: newID(), Payment: Payment{"alice", "bob", "Bob", 100 * yuan}}
		first, err := s.srv.Transfer(ctx, m)
		must(t, err)
		s.restart()
		m.Session = s.passwordLogin("alice").Token
		again, err := s.srv.Transfer(ctx, m)
		must(t, err)
		if *again != *first || s.balance("bob") != 100*yuan {
			t.Fatal("retry booked twice")
		}
		m.Amount = 200 * yuan
		if _, err := s.srv.Transfer(ctx, m); !errors.Is(err, ErrRequestReused) {
			t.Fatalf("reused id: %v", err)
		}
		m.ID, m.Amount = newID(), 10_000*yuan
		if _, err := s.srv.Transfer(ctx, m); !errors.Is(err, ErrInsufficientFunds) {
			t.Fatalf("overdraft: %v", err)
		}
		m.ID, m.Payee = newID(), "alice"
		if _, err := s.srv.Transfer(ctx, m); !errors.Is(err, ErrSameAccount) {
			t.Fatalf("to itself: %v", err)
		}
		s.checkMoney(1_000 * yuan)
	})
}

func TestSessionChecks(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := newSystem(t, tg)
		must(t, s.srv.OpenAccount(ctx, "alice", "Alice", banktest.IDCard, "pw-alice", 1_000*yuan))
		must(t, s.srv.OpenAccount(ctx, "bob", "Bob", banktest.IDCard, "pw-bob", 0))
		bob := s.passwordLogin("bob")
		m := &SessionTransfer{Session: bob.Token, ID: newID(), Payment: Payment{"alice", "bob", "Bob", 100 * yuan}}
		if _, err := s.srv.Transfer(ctx, m); !errors.Is(err, ErrSession) {
			t.Fatalf("bob's session pays from alice: %v", err)
		}
		m.Session = s.passwordLogin("alice").Token
		s.clock.Add(16 * time.Minute)
		if _, err := s.srv.Transfer(ctx, m); !errors.Is(err, ErrSession) {
			t.Fatalf("expired session: %v", err)
		}
		if _, err := s.srv.PreSubmit(ctx, &PreSubmit{Session: s.passwordLogin("alice").Token, Payment: m.Payment}); !errors.Is(err, ErrNotEnrolled) {
			t.Fatalf("pre-submit without a certificate: %v", err)
		}
	})
}

func TestMalformedNoStateChange(t *testing.T) {
	dbtest.EachTarget(t, func(t *testing.T, tg dbtest.Target) {
		s := newSystem(t, tg)
		d, _ := s.customer("alice", 1_000*yuan)
		s.customer("bob", 0)
		conf := s.signedConfirm(d, s.certLogin(d, "alice"), Payment{"alice", "bob", "Bob", 100 * yuan})
		enc, err := conf.MarshalBinary()
		must(t, err)
		for name, b := range map[string][]byte{
			"empty": nil, "kind": append([]byte{byte(KindReceipt)}, enc[1:]...),
			"short": enc[:len(enc)-1], "trailing": append(append([]byte(nil), enc...), 0),
		} {
			var m Confirm
			if err := m.UnmarshalBinary(b); !errors.Is(err, ErrMalformed) {
				t.Fatalf("%s: %v", name, err)
			}
		}
		// An order text that does not decode is refused before any lookup.
		if _, err := s.srv.Confirm(ctx, &Confirm{Order: conf.Order[:10], Sig: conf.Sig}); !errors.Is(err, ErrMalformed) {
			t.Fatalf("truncated order: %v", err)
		}
		if s.balance("alice") != 1_000*yuan {
			t.Fatal("state changed")
		}
	})
}
