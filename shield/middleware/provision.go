package middleware

import (
	"crypto/ecdsa"
	"errors"
	"fmt"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"trustbank/shield/card"
	"trustbank/shield/internal/apdu"
)

// Provision disperses a card's host keys (issuance, once): it opens the
// channel with hk, presents the PIN, gives the card the CA root's key
// (PUT DATA, set once: a card that trusts another root is ErrRoot), takes
// a challenge from the card that chooses the file's share positions,
// writes the card's half into EF EFDispersal and returns the sandbox file
// for the phone. cardPub, if not nil, is the card's key from
// personalisation. The caller then forgets hk: from here on only the
// shares rebuild it.
func Provision(t card.Transport, hk card.HostKeys, cardPub *ecdsa.PublicKey, root *smx509.Certificate, pin string, d Dispersal) (*Sandbox, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	ch, err := card.OpenChannel(t, hk, cardPub)
	if err != nil {
		return nil, err
	}
	defer ch.Close()
	st, err := statusOver(ch)
	if err != nil {
		return nil, err
	}
	if err := ch.VerifyPIN(pin); err != nil {
		return nil, err
	}
	if err := putRoot(ch, root); err != nil {
		return nil, err
	}
	r, err := ch.Transmit(&apdu.Command{INS: 0x84, Ne: card.ChallengeLen})
	if err != nil {
		return nil, err
	}
	plain := append(hk.Host.D.FillBytes(make([]byte, 32)), hk.SMKey...)
	defer clear(plain)
	sb, rec, err := disperse(plain, st.Serial, r.Data, d)
	if err != nil {
		return nil, err
	}
	m := &Middleware{cfg: Config{Transport: t}, keys: hk, pub: cardPub, ch: ch, state: Unlocked}
	if err := m.writeEF(EFDispersal, rec.marshal()); err != nil {
		return nil, fmt.Errorf("middleware: writing the card's shares: %w", err)
	}
	return sb, nil
}

// putRoot writes the root certificate's SM2 key into the card (PUT DATA 0103).
func putRoot(ch *card.Channel, root *smx509.Certificate) error {
	pub, ok := root.PublicKey.(*ecdsa.PublicKey)
	if !ok || !sm2.IsSM2PublicKey(pub) {
		return fmt.Errorf("%w: the root's key is not SM2", ErrConfig)
	}
	b := append([]byte{4}, append(pub.X.FillBytes(make([]byte, 32)), pub.Y.FillBytes(make([]byte, 32))...)...)
	_, err := ch.Transmit(&apdu.Command{INS: 0xDA, P1: 1, P2: 3, Data: b})
	if errors.Is(err, apdu.SWConditionsNotMet) {
		return ErrRoot
	}
	return err
}

func statusOver(ch *card.Channel) (*card.Status, error) {
	r, err := ch.Transmit(&apdu.Command{INS: 0xCA, P1: 1, P2: 2, Ne: card.StatusLen})
	if err != nil {
		return nil, err
	}
	return card.ParseStatus(r.Data)
}
