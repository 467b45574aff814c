// Package secrets keeps the values of workflow secrets (API keys, tokens) sealed: AES-256-GCM under a key
// derived from PANTRYFLOW_SECRET_KEY, each value bound to its secret's name, so a value read from a copy of
// the database is useless without the key and cannot be moved to another secret's row.
package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/hkdf"
)

// MinKeyLength is the shortest PANTRYFLOW_SECRET_KEY accepted.
const MinKeyLength = 32

// ErrNoKey means no key is configured, so secrets can be neither stored nor read.
var ErrNoKey = errors.New("secrets are not set up on this server: an administrator must set PANTRYFLOW_SECRET_KEY (32 or more characters) and restart it")

// ErrWrongKey means a value was sealed under another key, or its row was tampered with.
var ErrWrongKey = errors.New("the secret cannot be read with this server's PANTRYFLOW_SECRET_KEY: it was stored with another key, or changed in the database")

// Box seals and opens secret values. A nil *Box has no key: every call answers ErrNoKey.
type Box struct {
	aead  cipher.AEAD
	keyID string
}

// NewBox derives the sealing key from the configured key; an empty key gives a nil Box.
func NewBox(key string) (*Box, error) {
	if key == "" {
		return nil, nil
	}
	if len(key) < MinKeyLength {
		return nil, fmt.Errorf("the key must have at least %d characters", MinKeyLength)
	}
	derive := func(info string) []byte {
		out := make([]byte, 32)
		if _, err := io.ReadFull(hkdf.New(sha256.New, []byte(key), nil, []byte(info)), out); err != nil {
			panic(err) // hkdf reads from memory; it cannot fail for 32 bytes
		}
		return out
	}
	block, err := aes.NewCipher(derive("pantryflow secrets v1"))
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead, keyID: hex.EncodeToString(derive("pantryflow secrets key id")[:8])}, nil
}

// KeyID names the key without revealing it, so a value sealed under another key is recognised as such.
func (b *Box) KeyID() string {
	if b == nil {
		return ""
	}
	return b.keyID
}

func aad(name string) []byte { return []byte("pantryflow secret " + name) }

// Seal encrypts the value of the secret name.
func (b *Box) Seal(name, value string) ([]byte, error) {
	if b == nil {
		return nil, ErrNoKey
	}
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal secret %s: %w", name, err)
	}
	return b.aead.Seal(nonce, nonce, []byte(value), aad(name)), nil
}

// Open decrypts the value of the secret name, sealed under the key keyID.
func (b *Box) Open(name, keyID string, sealed []byte) (string, error) {
	if b == nil {
		return "", ErrNoKey
	}
	n := b.aead.NonceSize()
	if keyID != b.keyID || len(sealed) < n {
		return "", ErrWrongKey
	}
	plain, err := b.aead.Open(nil, sealed[:n], sealed[n:], aad(name))
	if err != nil {
		return "", ErrWrongKey
	}
	return string(plain), nil
}
