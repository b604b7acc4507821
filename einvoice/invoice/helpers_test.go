package invoice

import (
	"context"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"trustbank/internal/dbtest"
	"trustbank/internal/sqldb"
	"trustbank/shield/ca"
	"trustbank/shield/ca/cert"
)

// t0 is 09:00 China time on 2026-03-01, when the test CA starts.
var t0 = time.Date(2026, 3, 1, 1, 0, 0, 0, time.UTC)

var taxBureau = cert.Organization{Name: "国家税务总局 电子发票服务平台", TaxID: "11100000000013127D"}

// fixture is a shield/ca hierarchy on SQLite and an invoice signer it certified.
type fixture struct {
	h      *ca.Hierarchy
	a      *ca.Authority
	signer *Signer
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	h, err := ca.NewHierarchy("Trustbank Test", t0)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqldb.OpenSQLite(dbtest.SQLitePath(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st, err := ca.NewSQLStore(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	a, err := ca.New(ca.Config{Organization: "Trustbank Test", CRLURL: "http://ca.trustbank.test/issuing.crl",
		Now: func() time.Time { return t0 }}, h.Root, h.Issuing, h.IssuingKey, st)
	if err != nil {
		t.Fatal(err)
	}
	s, err := IssueSigner(context.Background(), a, taxBureau)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{h: h, a: a, signer: s}
}

func (f *fixture) root() *smx509.Certificate { return f.h.Root }

// sample is a two-line invoice dated the CA's first day.
func sample() *Invoice {
	return &Invoice{
		Number:    "26110000000000012345",
		IssueDate: "2026-03-01",
		Seller:    Party{Name: "北京示例科技有限公司", TaxID: "91110108551385082Q"},
		Buyer:     Party{Name: "张三"},
		Items: []Item{
			{Name: "*办公用品*签字笔", Unit: "支", Quantity: 12_000, UnitPrice: 350, TaxRate: 1300},
			{Name: "*信息技术服务*软件维护", Unit: "次", Quantity: 1_500, UnitPrice: 66_667, TaxRate: 600},
		},
	}
}

func (f *fixture) sign(t testing.TB, inv *Invoice) *Signed {
	t.Helper()
	sd, err := Sign(f.signer, inv)
	if err != nil {
		t.Fatal(err)
	}
	return sd
}
