package trust_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"trustbank/groupsig/registry"
	"trustbank/internal/sqldb"
	"trustbank/trust"
)

// A user registers, authenticates to a service by tier, is rated down,
// and authenticates again in its new tier.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "trust-example-")
	defer os.RemoveAll(dir)
	db, _ := sqldb.OpenSQLite(filepath.Join(dir, "trust.db"))
	defer db.Close()
	store, _ := trust.NewSQLStore(ctx, db)
	defer store.Close()
	reg, _ := registry.NewSQLStore(ctx, db)
	keys, _ := trust.GenerateKeys(rand.Reader)
	idp, _ := trust.NewProvider(ctx, trust.ProviderConfig{Store: store, Registry: reg, Keys: keys})

	svcPub, svcKey, _ := ed25519.GenerateKey(rand.Reader)
	idp.RegisterService(ctx, "storage", svcPub)
	svc, _ := trust.NewService(trust.ServiceConfig{ID: "storage", Key: svcKey, Keys: idp, Feedback: idp,
		Policies: trust.DefaultPolicies(nil)})

	clientPub, _, _ := ed25519.GenerateKey(rand.Reader)
	e, _ := idp.Register(ctx, "alice", clientPub)
	alice, _ := trust.NewUserClient(ctx, idp, e)

	login := func() trust.Session {
		alice.Sync(ctx) // follow the tier group's updates; re-enroll if re-grouped
		ch, _ := svc.Challenge()
		a, _ := alice.Answer(ch, time.Now())
		s, err := svc.Authenticate(ctx, a)
		if err != nil {
			fmt.Println(err)
		}
		return s
	}
	s := login()
	fmt.Println("the service sees:", s.Tier)
	for range 2 {
		svc.Report(ctx, s.Transaction, 0.05)
		s = login()
	}
	fmt.Println("the service sees:", s.Tier)
	// Output:
	// the service sees: mediate
	// the service sees: bad
}
