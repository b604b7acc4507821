package groupsig

import (
	bls "github.com/consensys/gnark-crypto/ecc/bls12-381"

	"trustbank/internal/bls12"
)

// Tag names a member key at one epoch: the compressed encoding of its A.
// The issuer's registry maps tags to member identities; Open returns the tag.
type Tag [bls12.G1Size]byte

// Tag returns the tag of mk.
func (mk *MemberKey) Tag() Tag { return mk.A.Bytes() }

// Open verifies sig on msg under pk and recovers the signer's A by
// decrypting the linear encryption (T1, T2): A = T3 / (T1^ξ1 · T2^ξ2).
// Look the tag up in the registry to name the member.
func (ok *OpenerKey) Open(pk *PublicKey, msg []byte, sig *Signature) (Tag, error) {
	a, err := ok.open(pk, msg, sig)
	if err != nil {
		return Tag{}, err
	}
	return a.Bytes(), nil
}

// OpenRewound is Open followed by rewinding the recovered A to the signer's
// base tag (Rewinder): one more multiplication. rw must have reached the
// signature's epoch.
func (ok *OpenerKey) OpenRewound(pk *PublicKey, msg []byte, sig *Signature, rw *Rewinder) (Tag, error) {
	a, err := ok.open(pk, msg, sig)
	if err != nil {
		return Tag{}, err
	}
	return rw.rewind(&a, pk.Epoch)
}

func (ok *OpenerKey) open(pk *PublicKey, msg []byte, sig *Signature) (bls.G1Affine, error) {
	if err := pk.Verify(msg, sig); err != nil {
		return bls.G1Affine{}, err
	}
	a := bls12.MulG1(&sig.T1, &ok.Xi1)
	t2 := bls12.MulG1(&sig.T2, &ok.Xi2)
	bls12.Add(&a, &t2)
	a.Neg(&a)
	bls12.AddMixed(&a, &sig.T3)
	return bls12.Affine(&a), nil
}
