// Package testkeys hands tests real RSA keys without paying for a fresh
// 2048-bit key generation each time: the first 16 requests generate keys,
// later requests cycle through them. Use it only in tests, and only where
// key reuse across independent deployments is harmless.
package testkeys

import (
	"crypto/rand"
	"crypto/rsa"
	"sync"
)

var pool struct {
	sync.Mutex
	keys map[int][]*rsa.PrivateKey
	next map[int]int
}

// RSA returns a real RSA key of the given size from the pool. Within one
// run of 16 consecutive calls no key repeats.
func RSA(bits int) (*rsa.PrivateKey, error) {
	pool.Lock()
	defer pool.Unlock()
	if pool.keys == nil {
		pool.keys, pool.next = map[int][]*rsa.PrivateKey{}, map[int]int{}
	}
	if len(pool.keys[bits]) < 16 {
		sk, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			return nil, err
		}
		pool.keys[bits] = append(pool.keys[bits], sk)
		return sk, nil
	}
	i := pool.next[bits]
	pool.next[bits] = (i + 1) % 16
	return pool.keys[bits][i], nil
}
