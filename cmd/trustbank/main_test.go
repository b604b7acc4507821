package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"trustbank/einvoice/invoice"

	"trustbank/internal/dbtest"
)

// TestMain lets the test binary act as the trustbank binary when
// TRUSTBANK_RUN_MAIN is set, so tests can check exit codes end to end.
func TestMain(m *testing.M) {
	if os.Getenv("TRUSTBANK_RUN_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func runCLI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := Run(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), err
}

func TestDemoSQLite(t *testing.T) {
	out, _, err := runCLI(t, "demo", "--data", t.TempDir())
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	for _, want := range []string{
		"storage: SQLite",
		"signer is \"bob\"",
		"revoked carol",
		"opens to \"alice\"",
		"a revoked member cannot sign",
		"signatures from earlier epochs stay traceable",
		"the withdrawer is \"alice\"",
		"in his own name: groupsig: signature is not for the committed escrow",
		"a published key frames nobody",
		"a revoked user can neither sign nor withdraw again",
		"members who stay keep paying",
		"bank-a refused the deposit: ecash: coin already spent",
		"a stolen coin is useless without its TPM",
		"issued through \"bank-a\"",
		"no money was lost or created",
		"swapped",
		"expired",
		"money is worth something only to its payee",
		"signed with SM2",
		"offline against the CA root",
		"no name, ID number, credit code, order number, invoice number or amount",
		"replayed alice's request: einvoice: message replayed",
		"missing entries [5]",
		"confirmed against lsum: true",
		"evidence chain whole",
		"the bank did not rewrite its history",
		"no money was lost or created in the ledger",
		"the CA issues alice's certificate through enrollment",
		"session level certificate",
		"a transfer signed on the card after the PIN",
		"bank: order nonce already used",
		"a replayed confirm is refused",
		"certificate signing required",
		"over the day's limit only card-signed transfers pass",
		"tries left",
		"the service learns the tier and nothing more",
		"it is \"dana\"",
		"old key refused",
		"the service sees tier \"bad\" after the re-grouping",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	checkDemoQR(t, out)
}

// checkDemoQR wants the QR text the demo decoded from the invoice's PNG to
// be a well-formed QR text naming the invoice the demo issued, for its
// total.
func checkDemoQR(t *testing.T, out string) {
	t.Helper()
	issued := regexp.MustCompile(`issued invoice (\d{20}), total (\d+\.\d\d) CNY`).FindStringSubmatch(out)
	read := regexp.MustCompile(`it reads "(TBEINV1,[^"]*)"`).FindStringSubmatch(out)
	if issued == nil || read == nil {
		t.Fatalf("demo output lacks the issued invoice or its scanned QR code:\n%s", out)
	}
	q, err := invoice.ParseQR(read[1])
	if err != nil || q.Number != issued[1] || invoice.Yuan(q.Total) != issued[2] {
		t.Fatalf("the demo's QR code reads %q (%+v, %v); the demo issued invoice %s for %s", read[1], q, err, issued[1], issued[2])
	}
}

func TestDemoPostgres(t *testing.T) {
	dsn := dbtest.PostgresDSN(t)
	out, _, err := runCLI(t, "demo", "--pg", dsn)
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	if !strings.Contains(out, "storage: PostgreSQL") || !strings.Contains(out, "signer is \"bob\"") {
		t.Fatalf("unexpected output:\n%s", out)
	}
}

func TestBenchGroupsigJSON(t *testing.T) {
	out, _, err := runCLI(t, "bench", "groupsig", "--json", "--time", "20ms", "--rounds", "1")
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Area    string
		Results []struct {
			Name         string
			NsPerOp      float64 `json:"ns_per_op"`
			Bound        string
			BoundNsPerOp float64 `json:"bound_ns_per_op"`
			Efficiency   float64
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	names := map[string]bool{}
	for _, r := range rep.Results {
		names[r.Name] = true
		if r.NsPerOp <= 0 || r.BoundNsPerOp <= 0 || r.Efficiency <= 0 || r.Bound == "" {
			t.Errorf("result %+v is incomplete", r)
		}
	}
	if rep.Area != "groupsig" || !names["sign"] || !names["verify"] || !names["open"] {
		t.Fatalf("report: %+v", rep)
	}
}

func TestBenchEcashJSON(t *testing.T) {
	out, _, err := runCLI(t, "bench", "ecash", "--json", "--time", "5ms", "--rounds", "1")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{`"name": "withdraw"`, `"name": "deposit"`, `"efficiency"`, `"bound_ns_per_op"`} {
		if !strings.Contains(out, name) {
			t.Errorf("bench ecash output lacks %s:\n%s", name, out)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	cases := map[string][]string{
		"fail/no-command":      {},
		"fail/unknown-command": {"frobnicate"},
		"fail/bench-no-area":   {"bench"},
		"fail/bench-bad-area":  {"bench", "nope"},
		"fail/bad-flag":        {"demo", "--nope"},
	}
	for name, args := range cases {
		if _, _, err := runCLI(t, args...); !errors.Is(err, errUsage) {
			t.Errorf("%s: got %v, want a usage error", name, err)
		}
	}
}

// The real binary's exit codes: 0 on success, 2 on usage errors.
func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
	}{{[]string{"version"}, 0}, {[]string{"frobnicate"}, 2}, {[]string{"demo", "--pg", "postgres://nobody@127.0.0.1:1/x?connect_timeout=2"}, 1}} {
		cmd := exec.Command(os.Args[0], tc.args...)
		cmd.Env = append(os.Environ(), "TRUSTBANK_RUN_MAIN=1")
		out, _ := cmd.CombinedOutput()
		if got := cmd.ProcessState.ExitCode(); got != tc.code {
			t.Errorf("trustbank %v: exit %d, want %d\n%s", tc.args, got, tc.code, out)
		}
	}
}

func TestBenchLedgerJSON(t *testing.T) {
	out, _, err := runCLI(t, "bench", "ledger", "--json", "--time", "5ms", "--rounds", "1", "--records", "3000", "--book", "300")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{`"name": "booking"`, `"efficiency"`, `"bound_ns_per_op"`, `"settlement_latency_moderate_load"`,
		`"check_synthetic_book": "3000 entries checked in`, `"money_bytes"`, `"name": "check-deep"`,
		`"check_deep_real_book": "3800 entries deep-checked in`} {
		if !strings.Contains(out, name) {
			t.Errorf("bench ledger output lacks %s:\n%s", name, out)
		}
	}
}
