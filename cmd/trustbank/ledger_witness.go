package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"trustbank/internal/httpapi"
	"trustbank/ledger"
	"trustbank/ledger/ledgerhttp"
)

// witnessFile is a witness's state: its Ed25519 key, the bank it watches
// (key pinned on first use), the note it cosigned last, and the evidence
// of every checkpoint it refused.
type witnessFile struct {
	Name     string                `json:"name"`
	Seed     []byte                `json:"seed"`
	Server   string                `json:"server"`
	Bank     string                `json:"bank"`
	Scheme   string                `json:"scheme"`
	BankKey  []byte                `json:"bank_key"`
	Last     string                `json:"last,omitempty"`
	Evidence []ledgerhttp.Evidence `json:"evidence,omitempty"`
}

// ledgerWitness cosigns the bank's checkpoints (c2sp.org/tlog-cosignature,
// Ed25519): once, printing the cosigned note, or with --serve on demand at
// GET /witness/v1/checkpoint. The first run creates the state file (a
// fresh key; the bank's key pinned) and prints the witness's vkey, which
// clients pass as --witness-key. A state file that exists but does not
// read is an error, never a first run.
func ledgerWitness(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("ledger witness", stderr)
	state := fs.String("state", "witness.json", "the witness's state file (created on first use)")
	server := fs.String("server", "http://127.0.0.1:8080", "the bank's trustbank server (first use; then from the state file)")
	name := fs.String("name", "", "the witness's key name, a schema-less URL such as witness.example/w1 (first use)")
	serve := fs.Bool("serve", false, "serve GET /witness/v1/checkpoint instead of cosigning once")
	cfg := httpapi.DefaultServerConfig("127.0.0.1:8091")
	cfg.AddFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	f, err := openWitnessFile(ctx, *state, *server, *name, stdout)
	if err != nil {
		return err
	}
	svc, err := witnessService(f, *state)
	if err != nil {
		return err
	}
	if !*serve {
		n, err := svc.Update(ctx)
		if err != nil {
			return fmt.Errorf("witness refuses: %w", err)
		}
		_, err = stdout.Write(n)
		return err
	}
	ln, err := httpapi.Listen(cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "trustbank witness %s: listening on http://%s\n", f.Name, ln.Addr())
	return httpapi.Serve(ctx, cfg, ln, ledgerhttp.NewWitnessHandler(svc, nil))
}

func openWitnessFile(ctx context.Context, path, server, name string, stdout io.Writer) (*witnessFile, error) {
	var f witnessFile
	err := loadJSON(path, &f)
	if err == nil {
		return &f, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("witness state %s: %w", path, err)
	}
	if name == "" {
		return nil, fmt.Errorf("%w: first use: --name is required", errUsage)
	}
	f = witnessFile{Name: name, Seed: make([]byte, 32), Server: server}
	rand.Read(f.Seed)
	c, err := ledger.NewCosigner(name, f.Seed, nil)
	if err != nil {
		return nil, err
	}
	_, info, err := (&ledgerhttp.Client{Base: server}).Verifier(ctx, nil) // trust on first use
	if err != nil {
		return nil, err
	}
	f.Bank, f.Scheme, f.BankKey = info.Name, info.Scheme, info.PublicKey
	if err := saveJSON(path, f); err != nil {
		return nil, err
	}
	fmt.Fprintf(stdout, "witness key (give it to clients as --witness-key): %s\n", c.VerifierKey())
	return &f, nil
}

func witnessService(f *witnessFile, path string) (*ledgerhttp.WitnessService, error) {
	c, err := ledger.NewCosigner(f.Name, f.Seed, nil)
	if err != nil {
		return nil, err
	}
	scheme, err := ledger.ParseScheme(f.Scheme)
	if err != nil {
		return nil, err
	}
	var last []byte
	if f.Last != "" {
		last = []byte(f.Last)
	}
	w, err := ledger.NewWitness(c, scheme, f.Bank, f.BankKey, last)
	if err != nil {
		return nil, fmt.Errorf("witness state %s: %w", path, err)
	}
	save := func(cosigned []byte, ev *ledgerhttp.Evidence) error {
		if ev != nil {
			f.Evidence = append(f.Evidence, *ev)
		} else {
			f.Last = string(cosigned)
		}
		return saveJSON(path, f)
	}
	return &ledgerhttp.WitnessService{Witness: w, Bank: &ledgerhttp.Client{Base: f.Server}, Save: save}, nil
}

// witnessKeyFlag reads --witness-key (empty: no witness required).
func witnessKeyFlag(vkey string) error {
	if vkey == "" {
		return nil
	}
	_, err := ledger.ParseWitnessKey(vkey)
	if err != nil {
		return fmt.Errorf("%w: --witness-key: %v", errUsage, err)
	}
	return nil
}
