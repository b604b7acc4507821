package invoice

import (
	"errors"
	"strings"
	"testing"

	"trustbank/internal/qrimg"
	"trustbank/internal/qrimg/qrtest"
)

// The QR code decodes, with gozxing and with zbarimg, to the documented
// text, which parses back to the invoice's data and matches it.
func TestQRCode(t *testing.T) {
	f := newFixture(t)
	sd := f.sign(t, sample())
	img, err := sd.QR()
	if err != nil {
		t.Fatal(err)
	}
	q, _ := sd.QRData()
	text := q.String()
	if !strings.HasPrefix(text, "TBEINV1,26110000000000012345,20260301,91110108551385082Q,1107.47,") || len(text) != 85 {
		t.Fatalf("QR text %q", text)
	}
	got, err := qrimg.DecodeTextPNG(img)
	if err != nil || string(got) != text {
		t.Fatalf("gozxing read %q, %v", got, err)
	}
	if z, ok := qrtest.Zbar(t, "invoice QR", img); ok && string(z) != text {
		t.Fatalf("zbarimg read %q, want %q", z, text)
	}
	back, err := ParseQR(string(got))
	if err != nil {
		t.Fatal(err)
	}
	if err := sd.MatchQR(back); err != nil {
		t.Fatal(err)
	}
	t.Logf("QR: %d characters, PNG %d bytes", len(text), len(img))

	// Another signature over the same invoice has another check code.
	sd2 := f.sign(t, sample())
	if err := sd2.MatchQR(back); !errors.Is(err, ErrQRMismatch) {
		t.Fatalf("QR of another issuance matched: %v", err)
	}
	for name, edit := range map[string]func(*QRData){
		"number": func(q *QRData) { q.Number = "26110000000000012346" },
		"total":  func(q *QRData) { q.Total++ },
		"seller": func(q *QRData) { q.SellerTaxID = "91350100M000100Y43" },
	} {
		q := back
		edit(&q)
		if err := sd.MatchQR(q); !errors.Is(err, ErrQRMismatch) {
			t.Errorf("%s changed: %v", name, err)
		}
	}
}

func TestParseQRRefuses(t *testing.T) {
	good := "TBEINV1,26110000000000012345,20260301,91110108551385082Q,1107.47,0123456789ABCDEF0123"
	if _, err := ParseQR(good); err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]string{
		"prefix":        strings.Replace(good, "TBEINV1", "TBEINV2", 1),
		"extra field":   good + ",",
		"short number":  strings.Replace(good, "26110000000000012345", "2611000000000001234", 1),
		"date":          strings.Replace(good, "20260301", "20260230", 1),
		"year mismatch": strings.Replace(good, "20260301", "20250301", 1),
		"tax ID":        strings.Replace(good, "082Q", "082R", 1),
		"total 1 dec":   strings.Replace(good, "1107.47", "1107.4", 1),
		"total lead 0":  strings.Replace(good, "1107.47", "01107.47", 1),
		"total sign":    strings.Replace(good, "1107.47", "-1107.47", 1),
		"total huge":    strings.Replace(good, "1107.47", "99999999999999.99", 1),
		"check lower":   strings.Replace(good, "ABCDEF", "abcdef", 1),
		"check short":   strings.TrimSuffix(good, "3"),
		"space":         strings.Replace(good, ",1107", ", 1107", 1),
	} {
		if _, err := ParseQR(s); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestYuanAndCapitals(t *testing.T) {
	for fen, want := range map[int64]string{
		110747:           "壹仟壹佰零柒圆肆角柒分",
		10000:            "壹佰圆整",
		5:                "伍分",
		47:               "肆角柒分",
		0:                "零圆整",
		1050:             "壹拾圆伍角整",
		10000101:         "壹拾万零壹圆零壹分",
		10000000100:      "壹亿零壹圆整",
		10000100000:      "壹亿零壹仟圆整",
		10001000000:      "壹亿零壹万圆整",
		100000000000000:  "壹万亿圆整",
		100100000:        "壹佰万零壹仟圆整",
		1000000000000000: "壹拾万亿圆整",
		9007199254740991: "玖拾万零柒佰壹拾玖亿玖仟贰佰伍拾肆万柒仟肆佰零玖圆玖角壹分",
	} {
		if got := Capitals(fen); got != want {
			t.Errorf("Capitals(%d) = %s, want %s", fen, got, want)
		}
	}
	for fen, want := range map[int64]string{0: "0.00", 5: "0.05", 110747: "1107.47", 1<<53 - 1: "90071992547409.91"} {
		if got := Yuan(fen); got != want {
			t.Errorf("Yuan(%d) = %s", fen, got)
		}
		if back, ok := parseYuan(want); !ok || back != fen {
			t.Errorf("parseYuan(%s) = %d %v", want, back, ok)
		}
	}
}
