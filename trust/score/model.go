package score

// Model is a trust model over a per-user state S: the paper's (Params over
// State), Beta reputation (BetaParams over BetaState) and ours (OursParams
// over OursState). The simulator runs any of them unchanged.
type Model[S any] interface {
	Name() string
	// New is a new user's state.
	New() S
	// Update applies one feedback tc ∈ [0,1]; on error the state is unchanged.
	Update(s S, tc float64) (S, error)
	// Trust is the user's trust in [0,1], the value tiers are taken from.
	Trust(s S) float64
}

var (
	_ Model[State]     = Params{}
	_ Model[BetaState] = BetaParams{}
	_ Model[OursState] = OursParams{}
)
