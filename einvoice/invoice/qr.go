package invoice

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/emmansun/gmsm/sm3"

	"trustbank/internal/qrimg"
)

// QRPrefix opens the text of an invoice's QR code (format and version).
const QRPrefix = "TBEINV1"

// CheckCodeLen is the length of a check code in hexadecimal characters.
const CheckCodeLen = 20

// QRData is what an invoice's QR code carries: enough to look the invoice
// up and to tell whether a full copy (JSON, PDF) is the one the code was
// printed for.
//
//	TBEINV1,<number>,<YYYYMMDD>,<seller tax ID>,<total yuan>,<check code>
//
// e.g. "TBEINV1,26110000000000012345,20260301,91110108551385082Q,1107.47,
// 3F0A…" (ASCII, comma-separated, no spaces, nothing after the last
// field). total is 价税合计 with two decimals (Yuan); the check code is
// the first 10 bytes of SM3(canonical encoding ‖ signature DER) in 20
// upper-case hexadecimal digits, so it changes with any field and with
// the signature. The layout follows the platform's own QR text (a
// version tag, then number, amount, date, check code, comma-separated).
type QRData struct {
	Number      string
	IssueDate   string // "2006-01-02"
	SellerTaxID string
	Total       int64 // fen
	CheckCode   string
}

// String is the QR code's text.
func (q QRData) String() string {
	return strings.Join([]string{QRPrefix, q.Number, strings.ReplaceAll(q.IssueDate, "-", ""),
		q.SellerTaxID, Yuan(q.Total), q.CheckCode}, ",")
}

// ParseQR reads a QR code's text strictly: six fields, each well formed
// (number, date and seller tax ID as Validate wants them).
func ParseQR(s string) (QRData, error) {
	f := strings.Split(s, ",")
	if len(f) != 6 || f[0] != QRPrefix {
		return QRData{}, fmt.Errorf("%w: QR text is not %s with six fields", ErrMalformed, QRPrefix)
	}
	if len(f[2]) != 8 {
		return QRData{}, fmt.Errorf("%w: QR date %q is not YYYYMMDD", ErrMalformed, f[2])
	}
	q := QRData{Number: f[1], IssueDate: f[2][:4] + "-" + f[2][4:6] + "-" + f[2][6:], SellerTaxID: f[3], CheckCode: f[5]}
	if err := checkNumber(q.Number, q.IssueDate); err != nil {
		return QRData{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if err := checkParty("seller", Party{Name: "-", TaxID: q.SellerTaxID}, true); err != nil {
		return QRData{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	total, ok := parseYuan(f[4])
	if !ok || checkAmount("total", total) != nil {
		return QRData{}, fmt.Errorf("%w: QR total %q is not an amount in yuan with two decimals", ErrMalformed, f[4])
	}
	q.Total = total
	if len(q.CheckCode) != CheckCodeLen || strings.Trim(q.CheckCode, "0123456789ABCDEF") != "" {
		return QRData{}, fmt.Errorf("%w: QR check code %q is not %d upper-case hex digits", ErrMalformed, q.CheckCode, CheckCodeLen)
	}
	return q, nil
}

// CheckCode is the signed invoice's check code (see QRData).
func (sd *Signed) CheckCode() (string, error) {
	msg, err := sd.Invoice.MarshalBinary()
	if err != nil {
		return "", err
	}
	h := sm3.New()
	h.Write(msg)
	h.Write(sd.Signature)
	return strings.ToUpper(hex.EncodeToString(h.Sum(nil)[:CheckCodeLen/2])), nil
}

// QRData is what the signed invoice's QR code carries.
func (sd *Signed) QRData() (QRData, error) {
	code, err := sd.CheckCode()
	if err != nil {
		return QRData{}, err
	}
	inv := &sd.Invoice
	return QRData{Number: inv.Number, IssueDate: inv.IssueDate, SellerTaxID: inv.Seller.TaxID,
		Total: inv.Total, CheckCode: code}, nil
}

// MatchQR tells whether a scanned QR code belongs to this signed invoice
// (every field equal). Verify the signed invoice itself separately.
func (sd *Signed) MatchQR(q QRData) error {
	want, err := sd.QRData()
	if err != nil {
		return err
	}
	if q != want {
		return fmt.Errorf("%w: scanned %s, the invoice's is %s", ErrQRMismatch, q, want)
	}
	return nil
}

// QR renders the QR code as a PNG (error correction M, 4 pixels a module).
func (sd *Signed) QR() ([]byte, error) {
	q, err := sd.QRData()
	if err != nil {
		return nil, err
	}
	return qrimg.PNG([]byte(q.String()), 0)
}
