package ledger

import (
	"fmt"
	"image"

	"trustbank/internal/qrimg"
)

// MaxQR is the most a QR code (version 40, error correction L) holds in
// byte mode.
const MaxQR = qrimg.MaxBytes

// QRPNG renders a message's encoding as a QR code PNG of size×size pixels
// (0: at least 4 pixels per module); see qrimg.PNG.
func QRPNG(msg []byte, size int) ([]byte, error) { return qrimg.PNG(msg, size) }

// QRDecodePNG reads a QR code back from a PNG and returns its bytes
// exactly; see qrimg.DecodePNG.
func QRDecodePNG(pngBytes []byte) ([]byte, error) { return qrimg.DecodePNG(pngBytes) }

// QRDecode reads a QR code from an image.
func QRDecode(img image.Image) ([]byte, error) { return qrimg.Decode(img) }

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
