package invoice

import (
	"os"
	"strings"
	"testing"

	"trustbank/einvoice/invoice/doctest"
)

// The PDF renders (pdftoppm) to an A5 landscape page image that is not
// blank, and its text (pdftotext) holds the number, the totals and, with
// the CJK font, the Chinese title and capitals. The ASCII fallback renders
// too.
func TestPDF(t *testing.T) {
	f := newFixture(t)
	sd := f.sign(t, sample())
	font := CJKFont()
	if font == nil {
		if os.Getenv("CI") != "" {
			t.Fatal("no CJK TrueType font (apt-get install fonts-droid-fallback)")
		}
		t.Log("no CJK font: only the ASCII fallback is rendered")
	}
	for name, ttf := range map[string][]byte{"cjk": font, "ascii": nil} {
		if name == "cjk" && font == nil {
			continue
		}
		doc, err := sd.PDFWithFont(ttf)
		if err != nil {
			t.Fatal(name, err)
		}
		t.Logf("%s PDF: %d bytes", name, len(doc))
		img := doctest.PDFToPPM(t, doc)
		if img == nil {
			continue
		}
		// A5 landscape is 210 × 148 mm: 413.4 × 291.3 px at 50 dpi (poppler rounds up).
		if b := img.Bounds(); b.Dx() < 413 || b.Dx() > 414 || b.Dy() < 291 || b.Dy() > 293 {
			t.Fatalf("%s: page image %v, want A5 landscape at 50 dpi", name, b)
		}
		if ink := doctest.InkFraction(img); ink < 0.01 || ink > 0.5 {
			t.Fatalf("%s: %.3f of the page is ink: blank or black", name, ink)
		}
		want := []string{sd.Invoice.Number, "1042.01", "65.46", "1107.47", "2026-03-01", "91110108551385082Q"}
		if name == "cjk" {
			want = append(want, "电子发票", "壹仟壹佰零柒圆肆角柒分", "签字笔", "北京示例科技有限公司")
		}
		if text, ok := doctest.PDFToText(t, doc); ok {
			for _, w := range want {
				if !strings.Contains(text, w) {
					t.Errorf("%s: pdftotext finds no %q in\n%s", name, w, text)
				}
			}
		}
	}
}
