package invoice_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"trustbank/einvoice/invoice"
	"trustbank/internal/sqldb"
	"trustbank/shield/ca"
	"trustbank/shield/ca/cert"
)

// Computing an invoice's amounts: per-line amounts and taxes rounded half
// up to the fen, totals as exact sums.
func ExampleInvoice_Compute() {
	inv := &invoice.Invoice{
		Number:    "26110000000000012345",
		IssueDate: "2026-03-01",
		Seller:    invoice.Party{Name: "北京示例科技有限公司", TaxID: "91110108551385082Q"},
		Buyer:     invoice.Party{Name: "张三"},
		Items: []invoice.Item{
			{Name: "*办公用品*签字笔", Unit: "支", Quantity: 12_000, UnitPrice: 350, TaxRate: 1300},
			{Name: "*信息技术服务*软件维护", Unit: "次", Quantity: 1_500, UnitPrice: 66_667, TaxRate: 600},
		},
	}
	if err := inv.Compute(); err != nil {
		fmt.Println(err)
		return
	}
	for _, it := range inv.Items {
		fmt.Println(it.Name, invoice.Yuan(it.Amount), invoice.Yuan(it.Tax))
	}
	fmt.Println("合计", invoice.Yuan(inv.Amount), invoice.Yuan(inv.Tax))
	fmt.Println("价税合计", invoice.Yuan(inv.Total), invoice.Capitals(inv.Total))

	inv.Items[0].TaxRate = 700
	fmt.Println(inv.Compute())
	// Output:
	// *办公用品*签字笔 42.00 5.46
	// *信息技术服务*软件维护 1000.01 60.00
	// 合计 1042.01 65.46
	// 价税合计 1107.47 壹仟壹佰零柒圆肆角柒分
	// invoice: items[0].tax_rate: 700 basis points is not a PRC VAT rate (0, 100, 300, 500, 600, 900, 1300)
}

// The tax system's signer is certified by shield/ca; anyone holding the
// root verifies the exported invoice offline.
func ExampleSign() {
	dir, _ := os.MkdirTemp("", "invoice-example")
	defer os.RemoveAll(dir)
	db, _ := sqldb.OpenSQLite(filepath.Join(dir, "ca.db"))
	defer db.Close()
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, invoice.ChinaTime)
	h, _ := ca.NewHierarchy("Example", now)
	store, _ := ca.NewSQLStore(ctx, db)
	authority, _ := ca.New(ca.Config{Organization: "Example", CRLURL: "http://ca.example/issuing.crl",
		Now: func() time.Time { return now }}, h.Root, h.Issuing, h.IssuingKey, store)
	signer, err := invoice.IssueSigner(ctx, authority, cert.Organization{Name: "e-invoice platform", TaxID: "11100000000013127D"})
	if err != nil {
		fmt.Println(err)
		return
	}
	signed, err := invoice.Sign(signer, &invoice.Invoice{
		Number: "26110000000000012345", IssueDate: "2026-03-01",
		Seller: invoice.Party{Name: "北京示例科技有限公司", TaxID: "91110108551385082Q"},
		Buyer:  invoice.Party{Name: "张三"},
		Items:  []invoice.Item{{Name: "*办公用品*签字笔", Unit: "支", Quantity: 12_000, UnitPrice: 350, TaxRate: 1300}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	exported := signed.JSON()

	got, err := invoice.Verify(exported, h.Root)
	fmt.Println(got.Invoice.Number, invoice.Yuan(got.Invoice.Total), err)
	tampered := bytes.Replace(exported, []byte(`"unit_price": 350`), []byte(`"unit_price": 340`), 1)
	_, err = invoice.Verify(tampered, h.Root)
	fmt.Println(errors.Is(err, invoice.ErrSignature))
	// Output:
	// 26110000000000012345 47.46 <nil>
	// true
}
