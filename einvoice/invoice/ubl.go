package invoice

import (
	"encoding/xml"
	"fmt"
	"slices"
	"strconv"
)

// UBL 2.1 namespaces and the EN 16931 customization identifier.
const (
	NSInvoice       = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
	NSAggregate     = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
	NSBasic         = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
	CustomizationID = "urn:cen.eu:en16931:2017"
)

// UBL renders the signed invoice as a UBL 2.1 Invoice with the EN 16931
// core fields (package documentation, "UBL 2.1"). The signature is not
// carried: the XML is an export for accounting systems, not the signed
// document.
func (sd *Signed) UBL() ([]byte, error) {
	inv := &sd.Invoice
	if err := inv.Check(); err != nil {
		return nil, err
	}
	doc := ublInvoice{
		NS: NSInvoice, NSCac: NSAggregate, NSCbc: NSBasic,
		CustomizationID: CustomizationID, ID: inv.Number, IssueDate: inv.IssueDate,
		TypeCode: "380", Currency: "CNY",
		Supplier: ublParty{Party: party(inv.Seller)}, Customer: ublParty{Party: party(inv.Buyer)},
		TaxTotal: ublTaxTotal{TaxAmount: cny(inv.Tax), Subtotals: subtotals(inv.Items)},
		Totals: ublTotals{LineExtension: cny(inv.Amount), TaxExclusive: cny(inv.Amount),
			TaxInclusive: cny(inv.Total), Payable: cny(inv.Total)},
	}
	for i, it := range inv.Items {
		doc.Lines = append(doc.Lines, ublLine{ID: strconv.Itoa(i + 1), Note: unitNote(it.Unit),
			Quantity: ublQuantity{Unit: unitCode(it.Unit), Value: thousandths(it.Quantity)},
			Amount:   cny(it.Amount),
			Item:     ublItem{Name: it.Name, Category: category(it.TaxRate)},
			Price:    ublPrice{Amount: cny(it.UnitPrice)}})
	}
	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("invoice: UBL: %w", err)
	}
	return append([]byte(xml.Header), append(out, '\n')...), nil
}

// The writer's structure. Element names carry the conventional prefixes,
// bound on the root element; the order is UBL 2.1's.
type ublInvoice struct {
	XMLName         xml.Name    `xml:"Invoice"`
	NS              string      `xml:"xmlns,attr"`
	NSCac           string      `xml:"xmlns:cac,attr"`
	NSCbc           string      `xml:"xmlns:cbc,attr"`
	CustomizationID string      `xml:"cbc:CustomizationID"`
	ID              string      `xml:"cbc:ID"`
	IssueDate       string      `xml:"cbc:IssueDate"`
	TypeCode        string      `xml:"cbc:InvoiceTypeCode"`
	Currency        string      `xml:"cbc:DocumentCurrencyCode"`
	Supplier        ublParty    `xml:"cac:AccountingSupplierParty"`
	Customer        ublParty    `xml:"cac:AccountingCustomerParty"`
	TaxTotal        ublTaxTotal `xml:"cac:TaxTotal"`
	Totals          ublTotals   `xml:"cac:LegalMonetaryTotal"`
	Lines           []ublLine   `xml:"cac:InvoiceLine"`
}

type ublParty struct {
	Party ublPartyBody `xml:"cac:Party"`
}

type ublPartyBody struct {
	Country   string         `xml:"cac:PostalAddress>cac:Country>cbc:IdentificationCode"`
	TaxScheme *ublPartyTax   `xml:"cac:PartyTaxScheme,omitempty"`
	Legal     ublLegalEntity `xml:"cac:PartyLegalEntity"`
}

type ublPartyTax struct {
	CompanyID string `xml:"cbc:CompanyID"`
	Scheme    string `xml:"cac:TaxScheme>cbc:ID"`
}

type ublLegalEntity struct {
	Name string `xml:"cbc:RegistrationName"`
}

type ublAmount struct {
	Currency string `xml:"currencyID,attr"`
	Value    string `xml:",chardata"`
}

type ublTaxTotal struct {
	TaxAmount ublAmount        `xml:"cbc:TaxAmount"`
	Subtotals []ublTaxSubtotal `xml:"cac:TaxSubtotal"`
}

type ublTaxSubtotal struct {
	Taxable  ublAmount      `xml:"cbc:TaxableAmount"`
	Tax      ublAmount      `xml:"cbc:TaxAmount"`
	Category ublTaxCategory `xml:"cac:TaxCategory"`
}

type ublTaxCategory struct {
	ID      string `xml:"cbc:ID"`
	Percent string `xml:"cbc:Percent"`
	Scheme  string `xml:"cac:TaxScheme>cbc:ID"`
}

type ublTotals struct {
	LineExtension ublAmount `xml:"cbc:LineExtensionAmount"`
	TaxExclusive  ublAmount `xml:"cbc:TaxExclusiveAmount"`
	TaxInclusive  ublAmount `xml:"cbc:TaxInclusiveAmount"`
	Payable       ublAmount `xml:"cbc:PayableAmount"`
}

type ublLine struct {
	ID       string      `xml:"cbc:ID"`
	Note     string      `xml:"cbc:Note,omitempty"`
	Quantity ublQuantity `xml:"cbc:InvoicedQuantity"`
	Amount   ublAmount   `xml:"cbc:LineExtensionAmount"`
	Item     ublItem     `xml:"cac:Item"`
	Price    ublPrice    `xml:"cac:Price"`
}

type ublQuantity struct {
	Unit  string `xml:"unitCode,attr"`
	Value string `xml:",chardata"`
}

type ublItem struct {
	Name     string         `xml:"cbc:Name"`
	Category ublTaxCategory `xml:"cac:ClassifiedTaxCategory"`
}

type ublPrice struct {
	Amount ublAmount `xml:"cbc:PriceAmount"`
}

func cny(fen int64) ublAmount { return ublAmount{Currency: "CNY", Value: Yuan(fen)} }

func party(p Party) ublPartyBody {
	b := ublPartyBody{Country: "CN", Legal: ublLegalEntity{Name: p.Name}}
	if p.TaxID != "" {
		b.TaxScheme = &ublPartyTax{CompanyID: p.TaxID, Scheme: "VAT"}
	}
	return b
}

// category is the EN 16931 VAT category of a rate: S (standard, any
// positive rate) or Z (zero-rated).
func category(bp int64) ublTaxCategory {
	id := "S"
	if bp == 0 {
		id = "Z"
	}
	return ublTaxCategory{ID: id, Percent: percent(bp), Scheme: "VAT"}
}

// percent writes basis points as a percentage: 1300 → "13", 50 → "0.50".
func percent(bp int64) string {
	if bp%100 == 0 {
		return strconv.FormatInt(bp/100, 10)
	}
	return fmt.Sprintf("%d.%02d", bp/100, bp%100)
}

// thousandths writes a quantity in thousandths as a decimal: 1500 → "1.500".
func thousandths(q int64) string { return fmt.Sprintf("%d.%03d", q/1000, q%1000) }

// subtotals groups the lines by tax rate, in increasing rate: taxable
// amount = Σ line amounts, tax = Σ line taxes at that rate.
func subtotals(items []Item) []ublTaxSubtotal {
	sums := map[int64][2]int64{}
	var rates []int64
	for _, it := range items {
		s, seen := sums[it.TaxRate]
		if !seen {
			rates = append(rates, it.TaxRate)
		}
		sums[it.TaxRate] = [2]int64{s[0] + it.Amount, s[1] + it.Tax}
	}
	slices.Sort(rates)
	out := make([]ublTaxSubtotal, len(rates))
	for i, r := range rates {
		out[i] = ublTaxSubtotal{Taxable: cny(sums[r][0]), Tax: cny(sums[r][1]), Category: category(r)}
	}
	return out
}

// unitCodes maps common Chinese units to UN/ECE Recommendation 20 codes;
// any other unit (and none) is C62, "one".
var unitCodes = map[string]string{
	"个": "H87", "件": "H87", "支": "H87", "台": "H87", "套": "SET", "箱": "XBX", "盒": "XBX",
	"千克": "KGM", "公斤": "KGM", "克": "GRM", "吨": "TNE", "米": "MTR", "平方米": "MTK",
	"升": "LTR", "小时": "HUR", "天": "DAY", "月": "MON", "年": "ANN",
}

func unitCode(unit string) string {
	if c, ok := unitCodes[unit]; ok {
		return c
	}
	return "C62"
}

// unitNote keeps the invoice's own unit name as the line note (BT-127).
func unitNote(unit string) string {
	if unit == "" {
		return ""
	}
	return "单位: " + unit
}
