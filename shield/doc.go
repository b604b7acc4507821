// Package shield groups the secure-element mobile banking of docs/design.md §3,
// after seed 002 (黃一平 et al., the "film shield" 貼膜盾: an ultra-thin
// smart card laid over the SIM that holds the customer's SM2 key and
// certificates, with a COS offering PIN checks, signing, verification and
// SM2/SM4 encryption over ISO 7816).
//
//	shield/card          the virtual secure element, plugged into PC/SC
//	                     through vsmartcard-vpcd; its transports
//	shield/middleware    the app's API: channel management, security
//	                     state, Shamir-dispersed host keys, bank.Card
//	shield/internal/apdu ISO 7816-4 APDUs and status words
//	shield/internal/vpcd the vpcd driver's frames
//
// Other parts (the middleware, the CA, the bank server) add their line here.
package shield
