// Package invoice is the e-invoice itself: the document the tax
// authority's e-invoice system issues at the end of the protocol of
// package einvoice (docs/design.md §4; seed paper 003, MA Ruhui et al.,
// "Privacy-preserving online e-invoice issuance", JEIT 2022). The paper
// treats the invoice as an opaque message; this package gives it the
// fields, arithmetic, signature and renderings of a real Chinese VAT
// e-invoice.
//
// # What a 全电发票 carries, and what we model
//
// A fully digitalised e-invoice (全面数字化的电子发票, "全电发票", issued
// by the national platform since 2021) carries: a 20-digit invoice number
// (no separate invoice code), the date of issue, the buyer (name and, for
// an enterprise, its unified social credit code as taxpayer ID), the
// seller (name and credit code), item lines (项目名称 with its tax
// classification prefix "*类别*", 规格型号, 单位, 数量, 单价, 金额, 税率,
// 税额), the totals 合计金额 and 合计税额, the total with tax 价税合计 in
// figures and in Chinese capitals (大写), remarks, the issuer (开票人),
// and the platform's electronic seal/signature. We model the number, the
// date, both parties, the lines (name, unit, quantity, unit price, rate,
// amount, tax) and the three totals. Not modelled: 规格型号, remarks,
// the issuer's name, addresses and bank accounts, red-letter (negative)
// invoices and discount lines (negative amounts are refused), and
// tax-inclusive unit prices (our unit price is before tax).
//
// # Fields and checks (Validate)
//
//	number      20 ASCII digits; the first two are the last two of the
//	            issue year (the platform's layout: 2 year, 2 region, 1
//	            channel, 15 sequence)
//	issue_date  "YYYY-MM-DD", a real day, years 2000–2099, China Standard
//	            Time (UTC+8)
//	seller      name 1–100 characters; tax_id an 18-character unified
//	            social credit code (GB 32100-2015) whose check character
//	            is right (cert.ValidCreditCode)
//	buyer       name 1–100 characters; tax_id empty (a person) or a
//	            valid credit code
//	items       1 to MaxItems (1000) lines: name 1–100 characters, unit
//	            0–20, quantity 1–10^12 thousandths of a unit, unit price
//	            0–money.MaxAmount fen, tax rate in basis points, one of
//	            0, 100, 300, 500, 600, 900, 1300 (the PRC VAT rates 0%,
//	            1%, 3%, 5%, 6%, 9%, 13%)
//
// Text is valid UTF-8 without control characters or surrounding space.
// Every refusal is a *FieldError naming the field by its JSON path
// ("items[1].quantity") and unwrapping to ErrInvalid, and to
// ErrAmountRange (= money.ErrRange) for a number out of range.
//
// # Money arithmetic (Compute, Check)
//
// All money is integer fen (0.01 yuan) in int64 and never a float.
//
//	item.amount = round(quantity × unit_price / 1000)
//	item.tax    = round(item.amount × tax_rate / 10000)
//	amount      = Σ item.amount          (合计金额)
//	tax         = Σ item.tax             (合计税额)
//	total       = amount + tax           (价税合计)
//
// round is half up (四舍五入): a remainder of exactly half a fen goes up.
// That is the rule of Chinese invoicing and accounting practice, and what
// a taxpayer checking an invoice by hand expects; half-even (banker's
// rounding) would turn 2.5 fen into 2 and so differ from the printed
// figures a buyer's own system computes. All values are non-negative, so
// half up and half away from zero agree. The products are exact: they are
// formed in 128 bits (math/bits) before the division, so no quantity and
// price in range can overflow silently.
//
// Tax is rounded per line, not once per invoice, because the invoice
// prints a tax per line and the buyer must be able to check the total by
// adding the printed line figures: with per-line rounding the stated
// totals are exact sums of what is printed. Each line's tax is within
// half a fen of the exact amount × rate, so the invoice's tax is within
// n/2 fen of the exact sum for n lines (a property test checks both).
//
// Range: every line amount, and the amount, tax and total, are at most
// money.MaxAmount (2^53 − 1 fen, exact in a JSON double); a larger
// result is refused with ErrAmountRange, never wrapped.
//
// Worked example (TestComputeExample): 12.000 支 at 3.50 at 13% is 42.00
// and 5.46; 1.500 次 at 666.67 at 6% is 1000.005 → 1000.01 and 60.0006 →
// 60.00; amount 1042.01, tax 65.46, total 1107.47.
//
// # Canonical encoding (the signed bytes)
//
// MarshalBinary, in internal/wire's format (big-endian integers,
// length-prefixed strings):
//
//	"TBEINV" 0x01                      magic and version
//	str16 number, str16 issue_date
//	str16 seller.name, str16 seller.tax_id, str16 buyer.name, str16 buyer.tax_id
//	u16 n, then n × (str16 name, str16 unit, u64 quantity, u64 unit_price,
//	                 u16 tax_rate, u64 amount, u64 tax)
//	u64 amount, u64 tax, u64 total
//
// str16 is a u16 byte length and the UTF-8 bytes. The encoding is
// deterministic and injective; UnmarshalBinary accepts only encodings
// MarshalBinary makes. The computed amounts are signed too, so the
// printed figures are the tax authority's statement, and Verify also
// recomputes them.
//
// # Signature and offline verification
//
// Signer holds the tax system's SM2 key and its certificate chain from
// shield/ca: IssueSigner asks the issuing CA for a document-signing
// certificate (ca.Authority.IssueSigning: subject organizationIdentifier
// VATCN-<credit code>, keyUsage digitalSignature+nonRepudiation,
// extKeyUsage id-kp-documentSigning, RFC 9336). Sign computes the
// amounts and signs the canonical encoding with SM2 over SM3 under the
// default user ID 1234567812345678 (GM/T 0009): Z_A = SM3(ENTL ‖ ID ‖ a ‖
// b ‖ G ‖ P), e = SM3(Z_A ‖ M), DER signature. OpenSSL 3 checks it with
//
//	openssl pkeyutl -verify -certin -inkey leaf.pem -rawin -digest sm3 \
//	    -pkeyopt distid:1234567812345678 -in invoice.bin -sigfile sig.der
//
// Verify(data, root) needs nothing but the pinned root: the chain must be
// leaf → issuing CA → root exactly, every certificate valid at the
// invoice's date (the start of the issue day in China time, or the
// leaf's notBefore if later that day), the leaf a document-signing
// certificate; the signature must verify; the fields must be valid and
// the stated amounts equal the recomputed ones. Any change to any field
// fails.
//
// # JSON
//
// (*Signed).JSON exports {"invoice": {number, issue_date, seller{name,
// tax_id}, buyer{…}, items[{name, unit, quantity, unit_price, tax_rate,
// amount, tax}], amount, tax, total}, "signature": base64 DER,
// "certificates": [base64 DER, leaf first]}. Amounts are JSON integers
// (fen, exact below 2^53). ParseJSON reads it strictly (at most MaxJSON
// bytes, one object, no unknown fields, valid fields, 1–4 SM2
// certificates) and errors wrap ErrMalformed or are field errors.
//
// # Binary export and stored form
//
// (*Signed).MarshalBinary is the same content in binary (what the tax
// system's message 4 carries): the canonical encoding with a 4-byte
// length, the DER signature with a 2-byte length, then ChainDER (a count
// byte, each certificate's DER with a 2-byte length, leaf first).
// ParseBinary reads it as strictly as ParseJSON. A store keeps Parts (the
// canonical encoding and the signature) per invoice and ChainDER once per
// signer; FromParts rebuilds the signed invoice. Parsed chains are
// remembered (the last 16): certificates are shared, read-only, between
// the Signed values that carry them.
//
// # QR code
//
// (*Signed).QR renders QRData.String as a QR code PNG (internal/qrimg,
// error correction M, 4 pixels a module), 85 ASCII characters:
//
//	TBEINV1,<number>,<YYYYMMDD>,<seller tax ID>,<total, yuan, 2 decimals>,<check code>
//
// The check code is the first 10 bytes of SM3(canonical encoding ‖
// signature DER) in 20 upper-case hex digits: it binds the code to one
// signed issuance (SM2 signatures are randomised, so two signatures of
// the same invoice give two codes). A scanner looks the invoice up by
// number, date and seller, and MatchQR tells whether a full copy is the
// one the code was printed for; the copy itself is then checked with
// Verify. ParseQR is strict (fuzzed): exactly six fields, each well
// formed, and it prints back to its input. The platform's own QR text
// has the same shape (version, type, number, amount, date, check code).
//
// # UBL 2.1
//
// (*Signed).UBL writes an OASIS UBL 2.1 Invoice with the EN 16931 core:
// cbc:CustomizationID urn:cen.eu:en16931:2017, cbc:ID = number,
// cbc:IssueDate, cbc:InvoiceTypeCode 380 (commercial invoice),
// cbc:DocumentCurrencyCode CNY; AccountingSupplierParty and
// AccountingCustomerParty with PostalAddress/Country CN, PartyTaxScheme
// (CompanyID = credit code, TaxScheme VAT; left out for a buyer without
// one) and PartyLegalEntity/RegistrationName; TaxTotal with TaxAmount =
// tax and one TaxSubtotal per rate (TaxableAmount = Σ line amounts,
// TaxAmount = Σ line taxes at that rate, TaxCategory S with Percent, or Z
// for 0%); LegalMonetaryTotal with LineExtensionAmount = TaxExclusiveAmount
// = amount, TaxInclusiveAmount = PayableAmount = total; one InvoiceLine
// per item with InvoicedQuantity (decimal, unitCode from UN/ECE Rec. 20:
// 个/件/支/台 H87, 千克 KGM, 米 MTR, … else C62), the Chinese unit as
// cbc:Note, LineExtensionAmount, Item/Name, Item/ClassifiedTaxCategory
// and Price/PriceAmount. Amounts are yuan with two decimals. BR-CO-10,
// -13, -14, -15 and BR-S-08/BR-Z-08 hold exactly. BR-CO-17 (category tax
// = taxable × rate, rounded) holds within its ±1.00 tolerance rather
// than exactly, because the Chinese invoice rounds tax per line: the
// difference is at most n/2 + 1/2 fen for n lines at that rate, under
// one yuan for fewer than 200 lines a rate. The XML is an export: it
// does not carry the signature.
//
// # PDF
//
// (*Signed).PDF prints an A5 landscape page with go-pdf/fpdf: the QR
// code, title, number, date and check code; buyer and seller; the items
// table (name, unit, quantity, unit price, amount, rate, tax); the totals
// in figures and the total with tax in Chinese capitals (Capitals: 圆,
// 角, 分, 整, the accounting rules for 零); the signer and its
// certificate serial. Long lines continue on more pages. Chinese needs a
// TrueType font: fpdf embeds a subset of the first of
// DroidSansFallbackFull.ttf (Debian fonts-droid-fallback) or the AR PL
// GB fonts it finds (TTC collections such as WenQuanYi and CFF fonts such
// as Noto CJK are not usable by fpdf); ASCII runs are set in Helvetica,
// as Droid Sans Fallback has no Latin glyphs. Without such a font the
// page is printed in English with Helvetica, non-ASCII characters as "?"
// and no capitals; PDFWithFont takes the font explicitly.
//
// # Departures
//
//   - The paper's invoice is an opaque string; ours is a structured
//     document with the 全电发票 fields above (a subset, listed).
//   - The real platform signs with its own seal certificate and an OFD
//     layout; we sign the canonical binary encoding with a shield/ca
//     certificate and render JSON, UBL 2.1 and PDF from the same fields.
//   - The PDF is a rendering, not the signed object (the platform's OFD/PDF
//     carries its seal inside); the JSON export is what Verify checks.
//   - The QR text is ours (documented above), not the platform's format,
//     because its check code is our SM3 fingerprint of the signature.
//   - Offline verification checks the chain at the issue date and knows
//     no revocation (no CRL is carried); a key compromised later could
//     backdate invoices inside its certificate's validity.
package invoice
