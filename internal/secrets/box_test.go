package secrets_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/kitchenpantry/pantryflow/internal/secrets"
)

const key = "a key of at least thirty-two characters"

func TestBoxSealsAndOpens(t *testing.T) {
	t.Parallel()
	box, err := secrets.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := box.Seal("CRM_API_KEY", "sk_live_123456")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("sk_live_123456")) {
		t.Fatal("the sealed value holds the plain value")
	}
	again, _ := box.Seal("CRM_API_KEY", "sk_live_123456")
	if bytes.Equal(sealed, again) {
		t.Fatal("sealing twice gave the same bytes: the nonce is not random")
	}
	got, err := box.Open("CRM_API_KEY", box.KeyID(), sealed)
	if err != nil || got != "sk_live_123456" {
		t.Fatalf("Open = %q, %v", got, err)
	}
}

func TestBoxRefusesWhatItCannotTrust(t *testing.T) {
	t.Parallel()
	box, _ := secrets.NewBox(key)
	other, _ := secrets.NewBox(key + "!")
	sealed, _ := box.Seal("A", "value-one")
	tampered := append([]byte(nil), sealed...)
	tampered[len(tampered)-1] ^= 1
	cases := []struct {
		name        string
		box         *secrets.Box
		secret, kid string
		sealed      []byte
		want        error
	}{
		{"another key", other, "A", other.KeyID(), sealed, secrets.ErrWrongKey},
		{"another key id", box, "A", other.KeyID(), sealed, secrets.ErrWrongKey},
		{"moved to another secret", box, "B", box.KeyID(), sealed, secrets.ErrWrongKey},
		{"changed bytes", box, "A", box.KeyID(), tampered, secrets.ErrWrongKey},
		{"too short", box, "A", box.KeyID(), sealed[:5], secrets.ErrWrongKey},
		{"no key", nil, "A", "", sealed, secrets.ErrNoKey},
	}
	for _, tc := range cases {
		if _, err := tc.box.Open(tc.secret, tc.kid, tc.sealed); !errors.Is(err, tc.want) {
			t.Errorf("%s: Open = %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := secrets.NewBox("short"); err == nil {
		t.Error("a 5-character key was accepted")
	}
	if b, err := secrets.NewBox(""); b != nil || err != nil {
		t.Errorf("no key: %v, %v; want a nil box", b, err)
	}
}
