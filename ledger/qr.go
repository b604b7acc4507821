package ledger

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"

	"github.com/makiuchi-d/gozxing"
	gzqr "github.com/makiuchi-d/gozxing/qrcode"
	"github.com/skip2/go-qrcode"
)

// MaxQR is the most a QR code (version 40, error correction L) holds in
// byte mode.
const MaxQR = 2953

// QRPNG renders a message's encoding as a QR code PNG of size×size pixels
// (0 picks a size where each module is at least 4 pixels). Error
// correction is M (15% of the symbol may be damaged) when the message
// fits, else L.
func QRPNG(msg []byte, size int) ([]byte, error) {
	if len(msg) > MaxQR {
		return nil, fmt.Errorf("ledger: %d bytes do not fit in a QR code (at most %d)", len(msg), MaxQR)
	}
	level := qrcode.Medium
	if len(msg) > 2331 { // the most version 40-M holds in byte mode
		level = qrcode.Low
	}
	q, err := qrcode.New(string(msg), level)
	if err != nil {
		return nil, fmt.Errorf("ledger: QR encode: %w", err)
	}
	if size <= 0 {
		size = -4 // four pixels per module
	}
	return q.PNG(size)
}

// QRDecodePNG reads a QR code back from a PNG and returns its bytes,
// exactly: the raw byte segments, not a text decoding of them.
func QRDecodePNG(pngBytes []byte) ([]byte, error) {
	img, err := png.Decode(bytes.NewReader(pngBytes))
	if err != nil {
		return nil, fmt.Errorf("ledger: QR image: %w", err)
	}
	return QRDecode(img)
}

// QRDecode reads a QR code from an image.
func QRDecode(img image.Image) ([]byte, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return nil, fmt.Errorf("ledger: QR image: %w", err)
	}
	res, err := gzqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
	if err != nil {
		// Not a pure barcode (a photo, a margin): search for it.
		res, err = gzqr.NewQRCodeReader().Decode(bmp, nil)
	}
	if err != nil {
		return nil, fmt.Errorf("ledger: no QR code found: %w", err)
	}
	segs, ok := res.GetResultMetadata()[gozxing.ResultMetadataType_BYTE_SEGMENTS].([][]byte)
	if !ok || len(segs) == 0 {
		return nil, errors.New("ledger: QR code holds no byte segments")
	}
	return bytes.Join(segs, nil), nil
}

// DecodeQRMessage decodes the message a scanned QR code holds, by its kind
// byte: *Template, *Money, *Settlement (QR3 or QR4), *Receipt,
// *CollectionNotice, *Submission, *Checkpoint, *Entry or *Payment.
func DecodeQRMessage(b []byte) (any, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty message", ErrMalformed)
	}
	var m interface{ UnmarshalBinary([]byte) error }
	switch b[0] {
	case KindTemplate:
		m = new(Template)
	case KindMoney:
		m = new(Money)
	case KindSettlement, KindBalance:
		m = new(Settlement)
	case KindReceipt:
		m = new(Receipt)
	case KindCollection:
		m = new(CollectionNotice)
	case KindSubmission:
		m = new(Submission)
	case KindCheckpoint, KindCheckpointNote:
		m = new(Checkpoint)
	case KindEntry:
		m = new(Entry)
	case KindPayment:
		m = new(Payment)
	default:
		return nil, fmt.Errorf("%w: unknown message kind %#x", ErrMalformed, b[0])
	}
	if err := m.UnmarshalBinary(b); err != nil {
		return nil, err
	}
	return m, nil
}
