package invoice

import (
	"bytes"
	"fmt"
	"os"
	"strings"

	"github.com/go-pdf/fpdf"
)

// cjkFonts are where PDF looks for a TrueType font with Chinese glyphs,
// in order (Debian: fonts-droid-fallback, fonts-arphic-gbsn00lp). fpdf
// reads TrueType outlines only, so TTC collections (WenQuanYi) and CFF
// OpenType fonts (Noto CJK) do not qualify.
var cjkFonts = [...]string{
	"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
	"/usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf",
	"/usr/share/fonts/truetype/arphic-gkai00mp/gkai00mp.ttf",
}

// CJKFont returns the first installed font of cjkFonts, or nil.
func CJKFont() []byte {
	for _, p := range cjkFonts {
		if b, err := os.ReadFile(p); err == nil {
			return b
		}
	}
	return nil
}

// PDF prints the invoice on an A5 landscape page (more pages for many
// lines) with the font CJKFont finds; see PDFWithFont.
func (sd *Signed) PDF() ([]byte, error) { return sd.PDFWithFont(CJKFont()) }

// PDFWithFont prints the invoice: title, QR code, number, date and check
// code; buyer and seller; the items table; the totals in figures and the
// total with tax in Chinese capitals; the signer. ttf is a TrueType font
// with Chinese glyphs; with nil the page is printed in Helvetica with
// English labels, every non-ASCII character shown as "?" and the capitals
// left out (the figures are all there).
func (sd *Signed) PDFWithFont(ttf []byte) ([]byte, error) {
	if err := sd.Invoice.Check(); err != nil {
		return nil, err
	}
	qr, err := sd.QR()
	if err != nil {
		return nil, err
	}
	code, _ := sd.CheckCode()
	p := newPage(ttf)
	day, _ := sd.Invoice.Date()
	p.f.SetCreationDate(day)
	p.f.SetModificationDate(day)
	p.f.SetTitle(p.text("电子发票 "+sd.Invoice.Number), true)
	p.f.RegisterImageOptionsReader("qr", fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(qr))
	p.header(&sd.Invoice, code)
	p.parties(&sd.Invoice)
	p.items(sd.Invoice.Items)
	p.totals(&sd.Invoice)
	p.signer(sd)
	if err := p.f.Error(); err != nil {
		return nil, fmt.Errorf("invoice: PDF: %w", err)
	}
	var out bytes.Buffer
	if err := p.f.Output(&out); err != nil {
		return nil, fmt.Errorf("invoice: PDF: %w", err)
	}
	return out.Bytes(), nil
}

// page is an invoice page being drawn. Text is set in runs: ASCII in
// Helvetica, everything else in the CJK font (the CJK fonts fpdf can
// embed have few or no Latin glyphs: Droid Sans Fallback has none).
type page struct {
	f    *fpdf.Fpdf
	cjk  bool
	size float64
}

const (
	pageMargin = 8.0
	pageWidth  = 210.0 - 2*pageMargin // A5 landscape
	lineHeight = 5.5
	cellPad    = 1.0
)

func newPage(ttf []byte) *page {
	f := fpdf.New("L", "mm", "A5", "")
	f.SetMargins(pageMargin, pageMargin, pageMargin)
	f.SetAutoPageBreak(true, pageMargin)
	f.SetCellMargin(0)
	p := &page{f: f, cjk: ttf != nil}
	if p.cjk {
		f.AddUTF8FontFromBytes("cjk", "", ttf)
	}
	f.AddPage()
	f.SetFont("Helvetica", "", 9)
	p.font(9)
	return p
}

func (p *page) font(size float64) { p.size = size }

// text is s as the page can print it.
func (p *page) text(s string) string {
	if p.cjk {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r > 0x7e {
			return '?'
		}
		return r
	}, s)
}

// label picks the Chinese or the English label.
func (p *page) label(zh, en string) string {
	if p.cjk {
		return zh
	}
	return en
}

// runs splits s into runs of ASCII and of other characters.
func runs(s string) []string {
	var out []string
	start := 0
	for i, r := range s {
		if i > start && (r < 0x80) != (s[start] < 0x80) {
			out = append(out, s[start:i])
			start = i
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// setFor selects the font for a run.
func (p *page) setFor(run string) {
	if run[0] < 0x80 || !p.cjk {
		p.f.SetFont("Helvetica", "", p.size)
	} else {
		p.f.SetFont("cjk", "", p.size)
	}
}

func (p *page) width(s string) float64 {
	w := 0.0
	for _, r := range runs(s) {
		p.setFor(r)
		w += p.f.GetStringWidth(r)
	}
	return w
}

// fit shortens s with "..." until it fits w.
func (p *page) fit(s string, w float64) string {
	if p.width(s) <= w {
		return s
	}
	r := []rune(s)
	for len(r) > 0 && p.width(string(r)+"...") > w {
		r = r[:len(r)-1]
	}
	return string(r) + "..."
}

// cell prints s in a w-wide cell with a border ("", "T", "B", "TB", "1")
// aligned "L", "C" or "R"; ln as fpdf: 0 right, 1 next line, 2 below.
func (p *page) cell(w float64, s, border, align string, ln int) {
	x0, y0 := p.f.GetXY()
	p.f.CellFormat(w, lineHeight, "", border, 0, "", false, 0, "")
	s = p.fit(p.text(s), w-2*cellPad)
	x := x0 + cellPad
	switch align {
	case "R":
		x = x0 + w - cellPad - p.width(s)
	case "C":
		x = x0 + (w-p.width(s))/2
	}
	for _, r := range runs(s) {
		p.setFor(r)
		p.f.SetXY(x, y0)
		rw := p.f.GetStringWidth(r)
		p.f.CellFormat(rw, lineHeight, r, "", 0, "L", false, 0, "")
		x += rw
	}
	switch ln {
	case 0:
		p.f.SetXY(x0+w, y0)
	case 1:
		p.f.SetXY(pageMargin, y0+lineHeight)
	default:
		p.f.SetXY(x0, y0+lineHeight)
	}
}

func (p *page) header(inv *Invoice, code string) {
	p.f.ImageOptions("qr", pageMargin, pageMargin, 24, 24, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	p.f.SetXY(pageMargin+26, pageMargin+4)
	p.font(15)
	p.cell(pageWidth-26-62, p.label("电子发票（普通发票）", "Electronic VAT invoice"), "", "C", 0)
	p.font(9)
	x := pageMargin + pageWidth - 62
	for i, kv := range [][2]string{
		{p.label("发票号码：", "Number: "), inv.Number},
		{p.label("开票日期：", "Date: "), inv.IssueDate},
		{p.label("校验码：", "Check: "), code},
	} {
		p.f.SetXY(x, pageMargin+2+float64(i)*lineHeight)
		p.cell(62, kv[0]+kv[1], "", "L", 0)
	}
	p.f.SetXY(pageMargin, pageMargin+26)
}

func (p *page) parties(inv *Invoice) {
	half := pageWidth / 2
	y := p.f.GetY()
	for i, side := range []struct {
		title string
		party Party
	}{{p.label("购买方信息", "Buyer"), inv.Buyer}, {p.label("销售方信息", "Seller"), inv.Seller}} {
		x := pageMargin + float64(i)*half
		p.f.Rect(x, y, half, 3*lineHeight+2, "D")
		p.f.SetXY(x+1, y+1)
		p.cell(half-2, side.title, "", "L", 2)
		p.f.SetX(x + 1)
		p.cell(half-2, p.label("名称：", "Name: ")+side.party.Name, "", "L", 2)
		p.f.SetX(x + 1)
		p.cell(half-2, p.label("纳税人识别号：", "Tax ID: ")+side.party.TaxID, "", "L", 2)
	}
	p.f.SetXY(pageMargin, y+3*lineHeight+4)
}

// itemColumns are the items table's widths (mm), they add up to pageWidth.
var itemColumns = [...]float64{62, 14, 22, 24, 28, 14, 30}

func (p *page) items(items []Item) {
	head := []string{p.label("项目名称", "Item"), p.label("单位", "Unit"), p.label("数量", "Qty"),
		p.label("单价", "Unit price"), p.label("金额", "Amount"), p.label("税率", "Rate"), p.label("税额", "Tax")}
	for i, h := range head {
		p.cell(itemColumns[i], h, "B", "C", 0)
	}
	p.f.Ln(-1)
	for _, it := range items {
		row := []string{it.Name, it.Unit, trimZeros(thousandths(it.Quantity)), Yuan(it.UnitPrice), Yuan(it.Amount),
			percent(it.TaxRate) + "%", Yuan(it.Tax)}
		for i, s := range row {
			align := "R"
			if i < 2 {
				align = "L"
			}
			p.cell(itemColumns[i], s, "", align, 0)
		}
		p.f.Ln(-1)
	}
}

func (p *page) totals(inv *Invoice) {
	w := itemColumns
	p.cell(w[0]+w[1]+w[2]+w[3], p.label("合　计", "Total"), "T", "C", 0)
	p.cell(w[4], p.label("￥", "CNY ")+Yuan(inv.Amount), "T", "R", 0)
	p.cell(w[5], "", "T", "", 0)
	p.cell(w[6], p.label("￥", "CNY ")+Yuan(inv.Tax), "T", "R", 1)
	capitals := ""
	if p.cjk {
		capitals = Capitals(inv.Total)
	}
	p.cell(w[0]+w[1]+w[2]+w[3]+w[4], p.label("价税合计（大写）", "Total with tax")+"　"+capitals, "TB", "L", 0)
	p.cell(w[5]+w[6], p.label("（小写）", "")+p.label("￥", "CNY ")+Yuan(inv.Total), "TB", "R", 1)
}

func (p *page) signer(sd *Signed) {
	org, err := sd.Signer()
	name := org.Name
	if err != nil {
		name = sd.Chain[0].Subject.CommonName
	}
	p.f.Ln(2)
	p.cell(pageWidth, p.label("签名：", "Signed by: ")+name+fmt.Sprintf(" (SM2, %s %X)",
		p.label("证书序列号", "certificate serial"), sd.Chain[0].SerialNumber), "", "L", 1)
}

// trimZeros drops a quantity's trailing decimal zeros: "12.000" → "12".
func trimZeros(s string) string {
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
}
