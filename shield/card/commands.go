package card

import "trustbank/shield/internal/apdu"

// The instruction bytes the card knows.
const (
	insSelect        = 0xA4
	insVerify        = 0x20
	insChangeRef     = 0x24
	insResetRetry    = 0x2C
	insGenerate      = 0x47
	insPSO           = 0x2A
	insGetChallenge  = 0x84
	insInternalAuth  = 0x88
	insExternalAuth  = 0x82
	insReadBinary    = 0xB0
	insUpdateBinary  = 0xD6
	insEraseBinary   = 0x0E
	insGetData       = 0xCA
	insPSODecipherP1 = 0x80
	insMSE           = 0x22
	insActivate      = 0x44
	insPutData       = 0xDA
)

// handler is one INS: the register bits it needs and its body. A need
// that includes SecExternal also requires the command to arrive under
// secure messaging.
type handler struct {
	need Security
	run  func(*Card, *apdu.Command) ([]byte, apdu.StatusWord)
}

// handlers is the static INS table (documented in doc.go). PSO's needs
// depend on P1-P2 and are checked inside pso.
var handlers = map[byte]handler{
	insSelect:       {0, (*Card).selectCmd},
	insGetChallenge: {0, (*Card).getChallenge},
	insInternalAuth: {0, (*Card).internalAuth},
	insExternalAuth: {SecInternal, (*Card).externalAuth},
	insVerify:       {SecExternal, (*Card).verifyPIN},
	insChangeRef:    {SecExternal, (*Card).changePIN},
	insResetRetry:   {SecExternal, (*Card).resetRetry},
	insGenerate:     {SecExternal | SecPIN, (*Card).generate},
	insPSO:          {0, (*Card).pso},
	insReadBinary:   {0, (*Card).readBinary},
	insUpdateBinary: {SecExternal | SecPIN, (*Card).updateBinary},
	insEraseBinary:  {SecExternal | SecPIN, (*Card).eraseBinary},
	insGetData:      {0, (*Card).getData},
	insMSE:          {SecExternal, (*Card).manageEnv},
	insActivate:     {SecExternal | SecPIN, (*Card).activate},
	insPutData:      {SecExternal | SecPIN, (*Card).putRoot},
}

// needs checks the register for a command whose needs depend on P1-P2.
func (c *Card) needs(need Security, sm bool) bool {
	return need&^c.vol.sec == 0 && (need&SecExternal == 0 || sm)
}

func p1p2(cmd *apdu.Command) uint16 { return uint16(cmd.P1)<<8 | uint16(cmd.P2) }
