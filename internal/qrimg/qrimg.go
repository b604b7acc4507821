// Package qrimg renders byte strings as QR code PNGs and reads them back
// exactly, for every package that hands a message over as a QR code
// (ledger's QR messages, einvoice/invoice's verification code). Encoding
// is github.com/skip2/go-qrcode, decoding github.com/makiuchi-d/gozxing;
// qrtest cross-checks both with Debian's zbarimg.
package qrimg

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

// MaxBytes is the most a QR code (version 40, error correction L) holds
// in byte mode.
const MaxBytes = 2953

// maxMedium is the most version 40 at error correction M holds.
const maxMedium = 2331

// PNG renders msg as a QR code PNG of size×size pixels (0 picks a size
// where each module is at least 4 pixels). Error correction is M (15% of
// the symbol may be damaged) when the message fits, else L.
func PNG(msg []byte, size int) ([]byte, error) {
	if len(msg) > MaxBytes {
		return nil, fmt.Errorf("qrimg: %d bytes do not fit in a QR code (at most %d)", len(msg), MaxBytes)
	}
	level := qrcode.Medium
	if len(msg) > maxMedium {
		level = qrcode.Low
	}
	q, err := qrcode.New(string(msg), level)
	if err != nil {
		return nil, fmt.Errorf("qrimg: encode: %w", err)
	}
	if size <= 0 {
		size = -4 // four pixels per module
	}
	return q.PNG(size)
}

// DecodePNG reads a QR code back from a PNG and returns its bytes,
// exactly: the raw byte segments, not a text decoding of them.
func DecodePNG(pngBytes []byte) ([]byte, error) {
	img, err := png.Decode(bytes.NewReader(pngBytes))
	if err != nil {
		return nil, fmt.Errorf("qrimg: image: %w", err)
	}
	return Decode(img)
}

// Decode reads a QR code from an image and returns the bytes of its
// byte-mode segments (what PNG writes for binary data).
func Decode(img image.Image) ([]byte, error) {
	res, err := decode(img)
	if err != nil {
		return nil, err
	}
	segs, ok := res.GetResultMetadata()[gozxing.ResultMetadataType_BYTE_SEGMENTS].([][]byte)
	if !ok || len(segs) == 0 {
		return nil, errors.New("qrimg: QR code holds no byte segments")
	}
	return bytes.Join(segs, nil), nil
}

// DecodeTextPNG reads a QR code holding text (PNG encodes runs of digits
// and capitals in the numeric and alphanumeric modes, so the byte
// segments alone are not the text) and returns the text.
func DecodeTextPNG(pngBytes []byte) (string, error) {
	img, err := png.Decode(bytes.NewReader(pngBytes))
	if err != nil {
		return "", fmt.Errorf("qrimg: image: %w", err)
	}
	res, err := decode(img)
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}

func decode(img image.Image) (*gozxing.Result, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return nil, fmt.Errorf("qrimg: image: %w", err)
	}
	res, err := gzqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
	if err != nil {
		// Not a pure barcode (a photo, a margin): search for it.
		res, err = gzqr.NewQRCodeReader().Decode(bmp, nil)
	}
	if err != nil {
		return nil, fmt.Errorf("qrimg: no QR code found: %w", err)
	}
	return res, nil
}
