package einvoice

// RewindInvoiceNumbers makes the next invoice number of this process the
// one issued n numbers ago (at the same millisecond): a collision.
func RewindInvoiceNumbers(n uint64) { invoiceSeq.Add(-n) }
