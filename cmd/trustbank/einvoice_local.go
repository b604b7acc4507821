package main

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"time"

	"trustbank/einvoice"
	"trustbank/einvoice/biometric"
	"trustbank/internal/sqldb"
)

// syntheticFace is a person's face for the demo and the bench: a random
// unit vector, captured with Gaussian noise (the noise model of package
// einvoice/biometric, at a σ that never meets a false reject).
type syntheticFace struct {
	u   []float64
	rng *rand.Rand
}

// faceSigma is the capture noise: biometric's model, below its
// DefaultLiveSigma.
const faceSigma = 0.3

func newSyntheticFace(seed uint64) *syntheticFace {
	rng := rand.New(rand.NewPCG(seed, 0xface))
	u := make([]float64, biometric.Dim)
	var n float64
	for i := range u {
		u[i] = rng.NormFloat64()
		n += u[i] * u[i]
	}
	for i := range u {
		u[i] /= math.Sqrt(n)
	}
	return &syntheticFace{u: u, rng: rng}
}

// capture is one noisy template of the face.
func (f *syntheticFace) capture() biometric.Template {
	t := make(biometric.Template, biometric.Dim)
	for i := range t {
		t[i] = float32(f.u[i] + faceSigma*f.rng.NormFloat64()/math.Sqrt(biometric.Dim))
	}
	return t.Normalized()
}

// face is an ID-photo capture and a live capture.
func (f *syntheticFace) face() einvoice.Face {
	return einvoice.Face{IDPhoto: f.capture(), Live: f.capture()}
}

// localSeller is a seller's invoicing server in this process, on its own
// SQLite database in dir, registered with sys in process.
type localSeller struct {
	*einvoice.Seller
	store *einvoice.SQLStore
	db    *sqldb.DB
}

func openLocalSeller(ctx context.Context, sys *einvoice.System, dir string, sid einvoice.SID, name, endpoint string) (*localSeller, error) {
	req, pending, err := einvoice.NewSellerRegistration(sys.PublicKey(), sid, endpoint, time.Now())
	if err != nil {
		return nil, err
	}
	resp, err := sys.RegisterSeller(ctx, req)
	if err != nil {
		return nil, err
	}
	kj, err := pending.Finish(resp)
	if err != nil {
		return nil, err
	}
	return newLocalSeller(ctx, dir, sid, name, kj)
}

// newLocalSeller opens the seller's database in dir with key kj.
func newLocalSeller(ctx context.Context, dir string, sid einvoice.SID, name string, kj [einvoice.KeyLen]byte) (*localSeller, error) {
	db, err := sqldb.OpenSQLite(filepath.Join(dir, "seller.db"))
	if err != nil {
		return nil, err
	}
	st, err := einvoice.NewSQLStore(ctx, db)
	if err != nil {
		db.Close()
		return nil, err
	}
	s, err := einvoice.NewSeller(einvoice.SellerConfig{SID: sid, Name: name, Key: kj, Store: st})
	if err != nil {
		st.Close()
		db.Close()
		return nil, err
	}
	return &localSeller{Seller: s, store: st, db: db}, nil
}

func (s *localSeller) Close() {
	s.Seller.Zero()
	s.store.Close()
	s.db.Close()
}

// registerBuyer registers a buyer with sys in process.
func registerBuyer(ctx context.Context, sys *einvoice.System, eID einvoice.EID, face einvoice.Face, cfg einvoice.BuyerConfig) (*einvoice.Buyer, error) {
	req, pending, err := einvoice.NewBuyerRegistration(sys.PublicKey(), eID, face, cfg)
	if err != nil {
		return nil, err
	}
	resp, err := sys.RegisterBuyer(ctx, req)
	if err != nil {
		return nil, err
	}
	return pending.Finish(resp, cfg)
}
