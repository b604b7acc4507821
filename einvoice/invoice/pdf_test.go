package invoice

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
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
		img := pdftoppm(t, doc)
		if img == nil {
			continue
		}
		// A5 landscape is 210 × 148 mm: 413.4 × 291.3 px at 50 dpi (poppler rounds up).
		if b := img.Bounds(); b.Dx() < 413 || b.Dx() > 414 || b.Dy() < 291 || b.Dy() > 293 {
			t.Fatalf("%s: page image %v, want A5 landscape at 50 dpi", name, b)
		}
		if ink := inkFraction(img); ink < 0.01 || ink > 0.5 {
			t.Fatalf("%s: %.3f of the page is ink: blank or black", name, ink)
		}
		want := []string{sd.Invoice.Number, "1042.01", "65.46", "1107.47", "2026-03-01", "91110108551385082Q"}
		if name == "cjk" {
			want = append(want, "电子发票", "壹仟壹佰零柒圆肆角柒分", "签字笔", "北京示例科技有限公司")
		}
		if text, ok := pdftotext(t, doc); ok {
			for _, w := range want {
				if !strings.Contains(text, w) {
					t.Errorf("%s: pdftotext finds no %q in\n%s", name, w, text)
				}
			}
		}
	}
}

// pdftoppm (poppler-utils) renders the first page at 50 dpi.
func pdftoppm(t *testing.T, doc []byte) image.Image {
	t.Helper()
	bin, err := exec.LookPath("pdftoppm")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pdftoppm is missing (apt-get install poppler-utils)")
		}
		t.Log("pdftoppm not installed: the PDF is not rendered")
		return nil
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "invoice.pdf")
	if err := os.WriteFile(in, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "-png", "-r", "50", "-singlefile", in, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "page.png"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func pdftotext(t *testing.T, doc []byte) (string, bool) {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pdftotext is missing (apt-get install poppler-utils)")
		}
		return "", false
	}
	cmd := exec.Command(bin, "-layout", "-", "-")
	cmd.Stdin = bytes.NewReader(doc)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out), true
}

// inkFraction is the share of pixels darker than mid-grey.
func inkFraction(img image.Image) float64 {
	b := img.Bounds()
	dark := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if (r+g+bl)/3 < 0x8000 {
				dark++
			}
		}
	}
	return float64(dark) / float64(b.Dx()*b.Dy())
}
