package invoice

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"trustbank/shield/ca/cert"
)

// Party is the seller (销售方) or the buyer (购买方).
type Party struct {
	Name string `json:"name"`
	// TaxID is the unified social credit code (统一社会信用代码 /
	// 纳税人识别号): required for the seller, empty for a buyer who is a
	// natural person.
	TaxID string `json:"tax_id"`
}

// Item is one line of the invoice. Name, Unit, Quantity, UnitPrice and
// TaxRate are inputs; Amount and Tax are computed by Compute.
type Item struct {
	Name string `json:"name"` // 项目名称, e.g. "*办公用品*签字笔"
	Unit string `json:"unit"` // 单位, may be empty
	// Quantity in thousandths of a unit (1500 = 1.5 units), 1 to MaxQuantity.
	Quantity int64 `json:"quantity"`
	// UnitPrice before tax, in fen, 0 to money.MaxAmount.
	UnitPrice int64 `json:"unit_price"`
	// TaxRate in basis points: one of 0, 100, 300, 500, 600, 900, 1300.
	TaxRate int64 `json:"tax_rate"`
	// Amount before tax (金额) = round(Quantity × UnitPrice / 1000), fen.
	Amount int64 `json:"amount"`
	// Tax (税额) = round(Amount × TaxRate / 10000), fen.
	Tax int64 `json:"tax"`
}

// Invoice is a VAT e-invoice (全电发票). Number, IssueDate, Seller, Buyer
// and the items' inputs are set by the issuer; Compute fills the rest.
type Invoice struct {
	// Number is the 20-digit invoice number; its first two digits are the
	// last two of the year of IssueDate.
	Number string `json:"number"`
	// IssueDate is the date of issue, "2006-01-02", in China Standard Time.
	IssueDate string `json:"issue_date"`
	Seller    Party  `json:"seller"`
	Buyer     Party  `json:"buyer"`
	Items     []Item `json:"items"`
	// Amount = Σ items' Amount (合计金额), Tax = Σ items' Tax (合计税额),
	// Total = Amount + Tax (价税合计), all in fen.
	Amount int64 `json:"amount"`
	Tax    int64 `json:"tax"`
	Total  int64 `json:"total"`
}

// Limits of an invoice's fields.
const (
	MaxItems    = 1000
	MaxName     = 100 // characters of a party's or an item's name
	MaxUnit     = 20  // characters of a unit
	MaxQuantity = 1_000_000_000_000
	NumberLen   = 20
	DateLayout  = "2006-01-02"
)

// TaxRates are the PRC VAT rates an item may carry, in basis points:
// 0 (zero-rated exports), the 1% and 3% simplified rates, 5%, and the
// standard 6%, 9% and 13% rates.
var TaxRates = [...]int64{0, 100, 300, 500, 600, 900, 1300}

// ChinaTime is China Standard Time (UTC+8, no daylight saving), the zone
// of IssueDate.
var ChinaTime = time.FixedZone("CST", 8*3600)

// Validate checks the issuer's inputs: number, date, parties and items
// (not the computed amounts; Compute and Check do those).
func (inv *Invoice) Validate() error {
	if err := checkNumber(inv.Number, inv.IssueDate); err != nil {
		return err
	}
	if err := checkParty("seller", inv.Seller, true); err != nil {
		return err
	}
	if err := checkParty("buyer", inv.Buyer, false); err != nil {
		return err
	}
	if len(inv.Items) == 0 {
		return fieldErr("items", "an invoice needs at least one item")
	}
	if len(inv.Items) > MaxItems {
		return fieldErr("items", "%d items, at most %d", len(inv.Items), MaxItems)
	}
	for i := range inv.Items {
		if err := inv.Items[i].validate(); err != nil {
			return under(fmt.Sprintf("items[%d]", i), err)
		}
	}
	return nil
}

// Date returns the issue date as midnight China Standard Time.
func (inv *Invoice) Date() (time.Time, error) {
	d, err := time.ParseInLocation(DateLayout, inv.IssueDate, ChinaTime)
	if err != nil || d.Format(DateLayout) != inv.IssueDate {
		return time.Time{}, fieldErr("issue_date", "%q is not a date YYYY-MM-DD", inv.IssueDate)
	}
	return d, nil
}

func checkNumber(number, date string) error {
	if len(number) != NumberLen || strings.Trim(number, "0123456789") != "" {
		return fieldErr("number", "%q is not a %d-digit invoice number", number, NumberLen)
	}
	d, err := (&Invoice{IssueDate: date}).Date()
	if err != nil {
		return err
	}
	if d.Year() < 2000 || d.Year() > 2099 {
		return fieldErr("issue_date", "year %d outside 2000–2099", d.Year())
	}
	if yy := fmt.Sprintf("%02d", d.Year()%100); number[:2] != yy {
		return fieldErr("number", "starts with %q, not the issue year's %q", number[:2], yy)
	}
	return nil
}

func checkParty(field string, p Party, needTaxID bool) error {
	if err := checkText("name", p.Name, 1, MaxName); err != nil {
		return under(field, err)
	}
	if p.TaxID == "" && !needTaxID {
		return nil
	}
	if !cert.ValidCreditCode(p.TaxID) {
		return fieldErr(field+".tax_id", "%q is not a unified social credit code (GB 32100-2015) with a valid check character", p.TaxID)
	}
	return nil
}

// checkText wants valid UTF-8 of min to max characters, no control
// characters and no leading or trailing space.
func checkText(field, s string, min, max int) error {
	n := utf8.RuneCountInString(s)
	if !utf8.ValidString(s) || n < min || n > max {
		return fieldErr(field, "must be %d to %d characters of UTF-8", min, max)
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 || strings.TrimSpace(s) != s {
		return fieldErr(field, "%q has control characters or surrounding space", s)
	}
	return nil
}

// validate checks one item; its errors name the field within the item
// ("name", "tax_rate"), and Validate puts the item's path before it.
func (it *Item) validate() error {
	if err := checkText("name", it.Name, 1, MaxName); err != nil {
		return err
	}
	if err := checkText("unit", it.Unit, 0, MaxUnit); err != nil {
		return err
	}
	if it.Quantity < 1 || it.Quantity > MaxQuantity {
		return rangeErr("quantity", "%d thousandths, want 1 to %d", it.Quantity, int64(MaxQuantity))
	}
	if err := checkAmount("unit_price", it.UnitPrice); err != nil {
		return err
	}
	for _, r := range TaxRates {
		if it.TaxRate == r {
			return nil
		}
	}
	return fieldErr("tax_rate", "%d basis points is not a PRC VAT rate (0, 100, 300, 500, 600, 900, 1300)", it.TaxRate)
}
