package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// einvFuncs parses package einvoice's source and returns its functions by
// "Type.method" or "func".
func einvFuncs(t *testing.T) map[string]*ast.FuncDecl {
	fset := token.NewFileSet()
	files, err := filepath.Glob("../../einvoice/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("package einvoice source: %v", err)
	}
	out := map[string]*ast.FuncDecl{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok {
				continue
			}
			key := fd.Name.Name
			if fd.Recv != nil {
				rt := fd.Recv.List[0].Type
				if s, ok := rt.(*ast.StarExpr); ok {
					rt = s.X
				}
				key = types.ExprString(rt) + "." + key
			}
			out[key] = fd
		}
	}
	return out
}

// calls counts the call expressions in fd's body by their text.
func calls(fd *ast.FuncDecl) map[string]int {
	out := map[string]int{}
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		if c, ok := n.(*ast.CallExpr); ok {
			out[types.ExprString(c.Fun)]++
		}
		return true
	})
	return out
}

// lastName is the called name of a call expression's text.
func lastName(expr string) string {
	if i := strings.LastIndexByte(expr, '.'); i >= 0 {
		return expr[i+1:]
	}
	return expr
}

// TestEinvoiceCostModel checks the cost model the bench prints against
// package einvoice's source: every function of the call graph makes
// exactly the calls listed, and no other call to a computing function or
// primitive (by name), so a new h, ENC or helper on the session path
// fails here until the model counts it.
func TestEinvoiceCostModel(t *testing.T) {
	fns := einvFuncs(t)
	watched := map[string]bool{}
	for k := range einvCallGraph {
		watched[lastName(k)] = true
	}
	for k := range einvPrimitives {
		watched[lastName(k)] = true
	}
	for fn, want := range einvCallGraph {
		fd, ok := fns[fn]
		if !ok {
			t.Errorf("%s: not in package einvoice", fn)
			continue
		}
		got := calls(fd)
		listed := map[string]bool{}
		for _, c := range want {
			listed[c.expr] = true
			if got[c.expr] != c.n {
				t.Errorf("%s calls %s %d times, the model says %d", fn, c.expr, got[c.expr], c.n)
			}
			if _, prim := einvPrimitives[c.to]; c.to != "" && !prim && einvCallGraph[c.to] == nil {
				t.Errorf("%s: %s resolves to %s, which the model does not have", fn, c.expr, c.to)
			}
		}
		for expr, n := range got {
			if watched[lastName(expr)] && !listed[expr] {
				t.Errorf("%s calls %s (%d times), which the model does not count", fn, expr, n)
			}
		}
	}
	for _, s := range einvSteps {
		if _, ok := einvCallGraph[s.fn]; !ok {
			t.Errorf("step %s: %s not in the model", s.msgs, s.fn)
		}
	}
	// The totals the README and the bench report.
	got := einvSessionCost()
	want := einvOps{HMAC: 46, Seal: 7, Open: 7, Match: 1, Rep: 1, Sign: 1, Verify: 1}
	if got != want {
		t.Fatalf("session cost %+v, want %+v", got, want)
	}
	t.Logf("one session: %s", got)
}
