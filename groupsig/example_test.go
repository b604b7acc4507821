package groupsig_test

import (
	"crypto/rand"
	"fmt"

	"trustbank/groupsig"
)

// A group with two members: a signature verifies under the one group public
// key without naming the signer, and only the opener can name it.
func Example() {
	pk, issuer, opener, err := groupsig.Setup(rand.Reader)
	if err != nil {
		panic(err)
	}
	alice, _ := issuer.Issue(rand.Reader)
	bob, _ := issuer.Issue(rand.Reader)

	msg := []byte("pay merchant 42 the sum of 1000")
	sig, err := bob.Sign(rand.Reader, pk, msg)
	if err != nil {
		panic(err)
	}
	fmt.Println("verifies:", pk.Verify(msg, sig) == nil)

	tag, _ := opener.Open(pk, msg, sig)
	fmt.Println("opens to alice:", tag == alice.Tag())
	fmt.Println("opens to bob:", tag == bob.Tag())

	// Revoke bob: alice updates her key and goes on; bob cannot.
	rev, _ := issuer.Revoke(bob.A, bob.X)
	pk1, _ := pk.Apply(rev)
	alice1, _ := alice.Update(rev)
	sig, _ = alice1.Sign(rand.Reader, pk1, msg)
	fmt.Println("alice after revocation verifies:", pk1.Verify(msg, sig) == nil)
	_, err = bob.Update(rev)
	fmt.Println("bob:", err)
	// Output:
	// verifies: true
	// opens to alice: false
	// opens to bob: true
	// alice after revocation verifies: true
	// bob: groupsig: member key has been revoked
}
