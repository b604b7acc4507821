package main

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"time"

	"trustbank/einvoice"
	"trustbank/einvoice/biometric"
	"trustbank/internal/sqldb"
)

// syntheticFace is a person's face for the demo and the bench:
// biometric's synthetic face, captured at a σ that never meets a false
// reject.
type syntheticFace struct{ *biometric.SyntheticFace }

// faceSigma is the capture noise: biometric's model, below its
// DefaultLiveSigma.
const faceSigma = 0.3

func newSyntheticFace(seed uint64) *syntheticFace {
	return &syntheticFace{biometric.NewSyntheticFace(rand.New(rand.NewPCG(seed, 0xface)))}
}

// face is an ID-photo capture and a live capture.
func (f *syntheticFace) face() einvoice.Face {
	return einvoice.Face{IDPhoto: f.Capture(faceSigma), Live: f.Capture(faceSigma)}
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
