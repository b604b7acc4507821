package testtool

import (
	"os/exec"
	"testing"
)

func TestCI(t *testing.T) {
	for v, want := range map[string]bool{"": false, "0": false, "false": false, "FALSE": false, "1": true, "true": true} {
		t.Setenv("CI", v)
		if CI() != want {
			t.Errorf("CI=%q: CI() = %v", v, !want)
		}
	}
}

// A tool that is there is found by Need and Look alike.
func TestNeedFindsTool(t *testing.T) {
	want, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	if got := Need(t, "sh", "dash"); got != want {
		t.Fatalf("Need = %q, want %q", got, want)
	}
	if got, ok := Look(t, "sh", "dash"); !ok || got != want {
		t.Fatalf("Look = %q, %v", got, ok)
	}
}

// Outside CI a missing optional tool is reported, not fatal.
func TestLookMissingOutsideCI(t *testing.T) {
	t.Setenv("CI", "")
	if _, ok := Look(t, "trustbank-no-such-tool", "none"); ok {
		t.Fatal("Look found a tool that does not exist")
	}
}
