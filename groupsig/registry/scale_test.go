package registry

import (
	"crypto/rand"
	"database/sql"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"trustbank/groupsig"
	"trustbank/internal/bls12"
	"trustbank/internal/dbtest"
	"trustbank/internal/sqldb"
)

// Revoking costs the same in a group of 1,000 and of 10,000 members (set
// TRUSTBANK_REVOKE_MEMBERS for more, e.g. 100000 by hand): a revocation
// touches only the revoked member's entry. Before base tags it re-tagged
// every member, ten times the work for ten times the members.
func TestRevokeCostIndependentOfGroupSize(t *testing.T) {
	large := 10000
	if v := os.Getenv("TRUSTBANK_REVOKE_MEMBERS"); v != "" {
		var err error
		if large, err = strconv.Atoi(v); err != nil || large < 2000 {
			t.Fatalf("TRUSTBANK_REVOKE_MEMBERS=%q: want a number ≥ 2000", v)
		}
	}
	dbtest.Each(t, func(t *testing.T, open func() *sqldb.DB) {
		store := storeOn(t, open)().(*SQLStore)
		_, ik, ok, err := groupsig.Setup(rand.Reader)
		mustNil(t, err)
		is, err := CreateGroup(ctx, store, "g", ik)
		mustNil(t, err)
		fillGroup(t, store, is, 1000)
		small := medianRevoke(t, is, "small")
		fillGroup(t, store, is, large-1000)
		big := medianRevoke(t, is, "large")
		t.Logf("revoke (median of 5): %v with ~1000 members, %v with ~%d", small, big, large)
		if big > 3*small+50*time.Millisecond {
			t.Fatalf("revoking grows with the group: %v at 1000 members, %v at %d", small, big, large)
		}
		// The group is real: its members open after all those epochs.
		op, err := NewOpener(ctx, store, "g", ok, ik)
		mustNil(t, err)
		mk, err := is.Join(ctx, "late")
		mustNil(t, err)
		sig, err := mk.Sign(rand.Reader, is.PublicKey(), []byte("m"))
		mustNil(t, err)
		if m, err := op.Open(ctx, []byte("m"), sig); err != nil || m.ID != "late" {
			t.Fatalf("open after %d revocations: %v %v", is.PublicKey().Epoch, m.ID, err)
		}
	})
}

// medianRevoke joins five members and returns the median time of revoking
// them one by one.
func medianRevoke(t *testing.T, is *Issuer, prefix string) time.Duration {
	var d []time.Duration
	for i := range 5 {
		id := fmt.Sprint(prefix, i)
		_, err := is.Join(ctx, id)
		mustNil(t, err)
		start := time.Now()
		_, err = is.Revoke(ctx, id)
		d = append(d, time.Since(start))
		mustNil(t, err)
	}
	slices.Sort(d)
	return d[len(d)/2]
}

// fillGroup adds n real members (random x, sealed, base tag) in one
// transaction: the rows n Joins would write, without n commits.
func fillGroup(t *testing.T, s *SQLStore, is *Issuer, n int) {
	g, err := s.Group(ctx, is.group)
	mustNil(t, err)
	var seq int64
	mustNil(t, s.db.QueryRowContext(ctx, s.q(`SELECT COALESCE(MAX(seq), 0) FROM gs_members WHERE group_name = ?`), is.group).Scan(&seq))
	mustNil(t, s.db.Tx(ctx, func(tx *sql.Tx) error {
		for i := range n {
			seq++
			id := fmt.Sprint("fill", seq)
			x, err := bls12.RandomScalar(rand.Reader)
			if err != nil {
				return err
			}
			tag, err := is.key.BaseTag(is.pk0, &x)
			if err != nil {
				return err
			}
			xb := x.Bytes()
			sealed, err := is.seal.seal(rand.Reader, is.group, id, xb[:])
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO gs_members (group_name, id, seq, secret, tag, epoch, status, joined_at)
				VALUES (?, ?, ?, ?, ?, ?, 'active', ?)`), is.group, id, seq, sealed, tag[:], int64(g.Epoch), int64(i)); err != nil {
				return err
			}
		}
		return nil
	}))
}
