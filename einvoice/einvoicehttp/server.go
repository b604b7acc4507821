package einvoicehttp

import (
	"context"
	"encoding"
	"log/slog"
	"net/http"

	"github.com/emmansun/gmsm/smx509"

	"trustbank/einvoice"
	"trustbank/internal/httpapi"
)

type handler struct {
	log *slog.Logger
}

func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	codes.Fail(h.log, w, r, err)
}

// step and deliver serve one protocol message (see httpapi.Step).
func step[M any, P httpapi.MessagePtr[M], R encoding.BinaryMarshaler](h handler, f func(context.Context, P) (R, error)) http.HandlerFunc {
	return httpapi.Step(codes, h.log, einvoice.ErrMalformed, f)
}

func deliver[M any, P httpapi.MessagePtr[M]](h handler, f func(context.Context, P) error) http.HandlerFunc {
	return httpapi.Deliver(codes, h.log, einvoice.ErrMalformed, f)
}

func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.Default()
	}
	return l
}

type systemHandler struct {
	handler
	sys *einvoice.System
}

// NewSystemHandler serves the tax system under /einvoice/v1/. adminToken
// guards the operator endpoints; empty, nobody may use them.
func NewSystemHandler(sys *einvoice.System, adminToken string, log *slog.Logger) http.Handler {
	s := &systemHandler{handler{logger(log)}, sys}
	mux := httpapi.NewMux()
	mux.HandleFunc("GET /einvoice/v1/system", s.info)
	mux.HandleFunc("POST /einvoice/v1/register/buyer", step(s.handler, sys.RegisterBuyer))
	mux.HandleFunc("POST /einvoice/v1/register/seller", step(s.handler, sys.RegisterSeller))
	mux.HandleFunc("POST /einvoice/v1/request", step(s.handler, sys.Request))
	mux.HandleFunc("POST /einvoice/v1/confirm", deliver(s.handler, sys.Confirm))
	mux.HandleFunc("POST /einvoice/v1/notices/resend", httpapi.Admin(adminToken, s.resend))
	mux.HandleFunc("POST /einvoice/v1/prune", httpapi.Admin(adminToken, s.prune))
	return mux
}

func (s *systemHandler) info(w http.ResponseWriter, r *http.Request) {
	pub, err := smx509.MarshalPKIXPublicKey(s.sys.PublicKey())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	info := SystemInfo{PublicKey: pub}
	for _, c := range s.sys.Chain() {
		info.Chain = append(info.Chain, c.Raw)
	}
	httpapi.Reply(w, http.StatusOK, info)
}

func (s *systemHandler) resend(w http.ResponseWriter, r *http.Request) {
	n, err := s.sys.ResendNotices(r.Context())
	if err != nil && n == 0 {
		s.fail(w, r, err)
		return
	}
	httpapi.Reply(w, http.StatusOK, ResendResponse{Sent: n})
}

func (s *systemHandler) prune(w http.ResponseWriter, r *http.Request) {
	n, err := s.sys.Prune(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpapi.Reply(w, http.StatusOK, PruneResponse{Pruned: n})
}

type sellerHandler struct {
	handler
	seller *einvoice.Seller
}

// NewSellerHandler serves a seller's invoicing server under
// /einvoice/v1/seller/. adminToken guards the order book.
func NewSellerHandler(seller *einvoice.Seller, adminToken string, log *slog.Logger) http.Handler {
	s := &sellerHandler{handler{logger(log)}, seller}
	mux := httpapi.NewMux()
	mux.HandleFunc("POST /einvoice/v1/seller/verify", step(s.handler, seller.Verify))
	mux.HandleFunc("POST /einvoice/v1/seller/notice", deliver(s.handler, seller.Notice))
	mux.HandleFunc("POST /einvoice/v1/seller/orders", httpapi.Admin(adminToken, s.addOrder))
	mux.HandleFunc("GET /einvoice/v1/seller/orders/{no}", httpapi.Admin(adminToken, s.order))
	return mux
}

func (s *sellerHandler) addOrder(w http.ResponseWriter, r *http.Request) {
	var req OrderRequest
	if err := httpapi.Decode(w, r, &req, einvoice.ErrMalformed); err != nil {
		s.fail(w, r, err)
		return
	}
	total, err := s.seller.AddOrder(r.Context(), req.OrderNo, req.Items)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpapi.Reply(w, http.StatusOK, OrderResponse{OrderNo: req.OrderNo, Total: total})
}

func (s *sellerHandler) order(w http.ResponseWriter, r *http.Request) {
	o, err := s.seller.Order(r.Context(), r.PathValue("no"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	total, err := s.seller.Total(&o.Deal)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	httpapi.Reply(w, http.StatusOK, OrderResponse{OrderNo: o.Deal.OrderNo, Total: total, InvoiceNo: o.InvoiceNo})
}
