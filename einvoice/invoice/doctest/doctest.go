// Package doctest checks exported invoice documents with independent
// tools, for tests: xmllint (libxml2-utils) parses UBL XML, pdftoppm and
// pdftotext (poppler-utils) render and read PDFs. A missing tool fails
// the test under CI and is logged otherwise.
package doctest

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"trustbank/internal/testtool"
)

// PDFToPPM (poppler-utils) renders the first page at 50 dpi; nil (outside
// CI) if pdftoppm is missing.
func PDFToPPM(t testing.TB, doc []byte) image.Image {
	t.Helper()
	bin, ok := testtool.Look(t, "pdftoppm", "poppler-utils")
	if !ok {
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

// PDFToText (poppler-utils) extracts the text, laid out; ok is false
// (outside CI) if pdftotext is missing.
func PDFToText(t testing.TB, doc []byte) (string, bool) {
	t.Helper()
	bin, ok := testtool.Look(t, "pdftotext", "poppler-utils")
	if !ok {
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

// InkFraction is the share of pixels darker than mid-grey.
func InkFraction(img image.Image) float64 {
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

// XMLLint (libxml2-utils) checks well-formedness and namespaces, and
// that it refuses a broken copy (so the check can fail).
func XMLLint(t testing.TB, doc []byte) {
	t.Helper()
	bin, ok := testtool.Look(t, "xmllint", "libxml2-utils")
	if !ok {
		return
	}
	cmd := exec.Command(bin, "--noout", "--nonet", "-")
	cmd.Stdin = bytes.NewReader(doc)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("xmllint: %v\n%s", err, out)
	}
	cmd = exec.Command(bin, "--noout", "--nonet", "-")
	cmd.Stdin = bytes.NewReader(bytes.Replace(doc, []byte("</cac:InvoiceLine>"), []byte("</cac:InvoiceLin>"), 1))
	if err := cmd.Run(); err == nil {
		t.Fatal("xmllint accepted a broken document: the check proves nothing")
	}
}
