package main

import (
	"context"

	"trustbank/attest"
	"trustbank/attest/attesttest"
	"trustbank/ecash"
	"trustbank/groupsig"
)

// standInManufacturer is the CA that certifies the EK of a TPM without an
// EK certificate (the simulator) in the demo and the benchmarks; the node
// trusts it as it would a TPM vendor's CA.
func standInManufacturer() (*attesttest.CA, error) {
	return attesttest.NewCA("trustbank stand-in TPM manufacturer")
}

// enrollLocal enrols dev's AIK for identity at en in process, its EK
// certified by ca.
func enrollLocal(ctx context.Context, en *ecash.Enroller, ca *attesttest.CA, dev *attest.Device, identity string) (*groupsig.MemberKey, error) {
	ek, err := dev.EndorsementKey(attest.EKECCP256)
	if err != nil {
		return nil, err
	}
	cert, err := ca.IssueEK(ek)
	if err != nil {
		return nil, err
	}
	ch, err := en.Begin(ctx, &ecash.EnrollRequest{Identity: identity, EKCert: cert, AIK: dev.AIK()})
	if err != nil {
		return nil, err
	}
	secret, err := dev.ActivateCredential(ch.Credential)
	if err != nil {
		return nil, err
	}
	return en.Finish(ctx, &ecash.EnrollAnswer{ID: ch.ID, Secret: secret})
}
