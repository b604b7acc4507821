package einvoice

import (
	"bytes"
	"testing"

	"trustbank/einvoice/invoice"
	"trustbank/internal/fuzzcorpus"
)

// The plaintexts inside the ciphertexts are decoded only after their AEAD
// opened, but their decoders are fuzzed all the same: no panic, and
// canonical (what decodes re-encodes to the input).
func FuzzPlaintexts(f *testing.F) {
	sid := SID([]byte(testSID))
	id := Identity{HID: [IDLen]byte{1}, Hb: [KeyLen]byte{2}, Rho: [SaltLen]byte{3}}
	ki := [KeyLen]byte{4}
	seeds := [][]byte{
		(&Order{OrderNo: "JD-1", Amount: 12345, BuyerName: "张三", BuyerTaxID: ""}).encode(),
		(&Deal{OrderNo: "JD-1", SellerName: "Shop", SellerTaxID: sid, Items: []invoice.Item{{Name: "pen", Unit: "支", Quantity: 1000, UnitPrice: 350, TaxRate: 1300}}}).encode(),
		encodeDelivery([]byte(`{"invoice":{}}`), &id),
		(&noticeBody{OrderNo: "JD-1", InvoiceNo: "26000000000000000001"}).encode(),
		(&regPayload{ID: [IDLen]byte([]byte(testEID)), T: 7}).encode(kindBuyerReg),
		(&regPayload{ID: sid, T: 7, Endpoint: "http://shop"}).encode(kindSellerReg),
		encodeCreds(&ki, &id),
		encodeOrderNo(kindVerifyBody, "JD-1"),
	}
	var in [][][]byte
	for _, s := range seeds {
		in = append(in, fuzzcorpus.Variants(s)...)
	}
	fuzzcorpus.Seed(f, in...)
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 {
			return
		}
		var again []byte
		switch Kind(b[0]) {
		case kindOrder:
			if o, err := decodeOrder(b); err == nil {
				again = o.encode()
			}
		case kindDeal:
			if d, err := decodeDeal(b); err == nil {
				again = d.encode()
			}
		case kindDelivery:
			if s, id, err := decodeDelivery(b); err == nil {
				again = encodeDelivery(s, &id)
			}
		case kindNoticeBody:
			if n, err := decodeNoticeBody(b); err == nil {
				again = n.encode()
			}
		case kindBuyerReg, kindSellerReg:
			if p, err := decodeRegPayload(b, Kind(b[0])); err == nil {
				again = p.encode(Kind(b[0]))
			}
		case kindBuyerCreds:
			if k, id, err := decodeCreds(b, kindBuyerCreds); err == nil {
				again = encodeCreds(&k, &id)
			}
		case kindVerifyBody:
			if no, err := decodeOrderNo(b, kindVerifyBody); err == nil {
				again = encodeOrderNo(kindVerifyBody, no)
			}
		}
		if again != nil && !bytes.Equal(again, b) {
			t.Fatalf("not canonical:\n in  %x\n out %x", b, again)
		}
	})
}
