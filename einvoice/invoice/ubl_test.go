package invoice

import (
	"bytes"
	"encoding/xml"
	"math/rand/v2"
	"testing"

	"trustbank/einvoice/invoice/doctest"
)

// parsedUBL reads a UBL Invoice by namespace (not by prefix), as any
// conforming consumer does.
type parsedUBL struct {
	XMLName         xml.Name `xml:"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2 Invoice"`
	CustomizationID string   `xml:"urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2 CustomizationID"`
	ID              string   `xml:"urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2 ID"`
	IssueDate       string   `xml:"urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2 IssueDate"`
	TypeCode        string   `xml:"urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2 InvoiceTypeCode"`
	Currency        string   `xml:"urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2 DocumentCurrencyCode"`
	Supplier        pParty   `xml:"urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2 AccountingSupplierParty"`
	Customer        pParty   `xml:"urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2 AccountingCustomerParty"`
	TaxTotal        struct {
		TaxAmount string `xml:"urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2 TaxAmount"`
		Subtotals []struct {
			Taxable  string `xml:"urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2 TaxableAmount"`
			Tax      string `xml:"urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2 TaxAmount"`
			Category pCat   `xml:"urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2 TaxCategory"`
		} `xml:"urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2 TaxSubtotal"`
	} `xml:"urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2 TaxTotal"`
	Totals struct {
		LineExtension string `xml:"urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2 LineExtensionAmount"`
		TaxExclusive  string `xml:"urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2 TaxExclusiveAmount"`
		TaxInclusive  string `xml:"urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2 TaxInclusiveAmount"`
		Payable       string `xml:"urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2 PayableAmount"`
	} `xml:"urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2 LegalMonetaryTotal"`
	Lines []struct {
		ID       string `xml:"urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2 ID"`
		Quantity struct {
			Unit  string `xml:"unitCode,attr"`
			Value string `xml:",chardata"`
		} `xml:"urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2 InvoicedQuantity"`
		Amount string `xml:"urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2 LineExtensionAmount"`
		Item   struct {
			Name string `xml:"urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2 Name"`
			Cat  pCat   `xml:"urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2 ClassifiedTaxCategory"`
		} `xml:"urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2 Item"`
		Price struct {
			Amount string `xml:"urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2 PriceAmount"`
		} `xml:"urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2 Price"`
	} `xml:"urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2 InvoiceLine"`
}

type pParty struct {
	Party struct {
		Legal struct {
			Name string `xml:"urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2 RegistrationName"`
		} `xml:"urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2 PartyLegalEntity"`
		Tax struct {
			CompanyID string `xml:"urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2 CompanyID"`
		} `xml:"urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2 PartyTaxScheme"`
	} `xml:"urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2 Party"`
}

func (p pParty) name() string      { return p.Party.Legal.Name }
func (p pParty) companyID() string { return p.Party.Tax.CompanyID }

type pCat struct {
	ID      string `xml:"urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2 ID"`
	Percent string `xml:"urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2 Percent"`
}

// The UBL export is well-formed (xmllint), parses back by namespace with
// the invoice's fields, and its amounts satisfy the EN 16931 calculation
// rules (BR-CO-10, -13, -14, -15, -17, BR-S-08/BR-Z-08).
func TestUBL(t *testing.T) {
	f := newFixture(t)
	r := rand.New(rand.NewPCG(5, 6))
	for n := range 20 {
		inv := sample()
		if n > 0 {
			inv = randomInvoice(r)
		}
		sd := f.sign(t, inv)
		doc, err := sd.UBL()
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			doctest.XMLLint(t, doc)
			t.Logf("UBL: %d bytes", len(doc))
		}
		checkUBL(t, &sd.Invoice, doc)
	}
}

func checkUBL(t *testing.T, inv *Invoice, doc []byte) {
	t.Helper()
	var u parsedUBL
	if err := xml.NewDecoder(bytes.NewReader(doc)).Decode(&u); err != nil {
		t.Fatal(err)
	}
	fen := func(s string) int64 {
		v, ok := parseYuan(s)
		if !ok {
			t.Fatalf("UBL amount %q", s)
		}
		return v
	}
	if u.CustomizationID != CustomizationID || u.ID != inv.Number || u.IssueDate != inv.IssueDate ||
		u.TypeCode != "380" || u.Currency != "CNY" {
		t.Fatalf("UBL header %+v", u)
	}
	if u.Supplier.name() != inv.Seller.Name || u.Supplier.companyID() != inv.Seller.TaxID ||
		u.Customer.name() != inv.Buyer.Name || u.Customer.companyID() != inv.Buyer.TaxID {
		t.Fatalf("UBL parties %+v %+v", u.Supplier, u.Customer)
	}
	if len(u.Lines) != len(inv.Items) {
		t.Fatalf("%d UBL lines for %d items", len(u.Lines), len(inv.Items))
	}
	var lineSum int64
	taxable := map[string]int64{}
	for i, l := range u.Lines {
		it := inv.Items[i]
		if l.Item.Name != it.Name || fen(l.Amount) != it.Amount || fen(l.Price.Amount) != it.UnitPrice ||
			l.Quantity.Value != thousandths(it.Quantity) || l.Quantity.Unit == "" || l.Item.Cat.Percent != percent(it.TaxRate) {
			t.Fatalf("UBL line %d: %+v for %+v", i, l, it)
		}
		if (it.TaxRate == 0) != (l.Item.Cat.ID == "Z") || (it.TaxRate > 0) != (l.Item.Cat.ID == "S") {
			t.Fatalf("UBL line %d: category %s at %d bp", i, l.Item.Cat.ID, it.TaxRate)
		}
		lineSum += fen(l.Amount)
		taxable[l.Item.Cat.ID+"/"+l.Item.Cat.Percent] += fen(l.Amount)
	}
	tot := u.Totals
	if fen(tot.LineExtension) != lineSum { // BR-CO-10
		t.Fatalf("BR-CO-10: LineExtensionAmount %s, lines add up to %d fen", tot.LineExtension, lineSum)
	}
	if fen(tot.TaxExclusive) != fen(tot.LineExtension) { // BR-CO-13, no allowances or charges
		t.Fatal("BR-CO-13")
	}
	if fen(tot.TaxInclusive) != fen(tot.TaxExclusive)+fen(u.TaxTotal.TaxAmount) || fen(tot.Payable) != fen(tot.TaxInclusive) { // BR-CO-15
		t.Fatal("BR-CO-15")
	}
	if fen(tot.TaxInclusive) != inv.Total || fen(u.TaxTotal.TaxAmount) != inv.Tax {
		t.Fatal("UBL totals differ from the invoice's")
	}
	var subSum int64
	for _, s := range u.TaxTotal.Subtotals {
		subSum += fen(s.Tax)
		key := s.Category.ID + "/" + s.Category.Percent
		if fen(s.Taxable) != taxable[key] { // BR-S-08, BR-Z-08
			t.Fatalf("BR-S-08: %s taxable %s, lines %d", key, s.Taxable, taxable[key])
		}
		delete(taxable, key)
		bp, exact := fen(s.Category.Percent+".00"), fen(s.Taxable) // percent as "13" → 1300 hundredths
		want, _ := mulDivRound(uint64(exact), uint64(bp), 10000)
		if d := fen(s.Tax) - int64(want); d < -100 || d > 100 { // BR-CO-17, ±1.00 tolerance
			t.Fatalf("BR-CO-17: %s tax %s, rate × taxable %d fen", key, s.Tax, want)
		}
	}
	if len(taxable) != 0 || subSum != fen(u.TaxTotal.TaxAmount) { // BR-CO-14
		t.Fatalf("BR-CO-14: subtotals %d fen, TaxAmount %s, categories left %v", subSum, u.TaxTotal.TaxAmount, taxable)
	}
}
