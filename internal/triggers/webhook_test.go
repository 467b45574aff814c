package triggers

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestVerifySignatures(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	body := []byte(`{"email":"jane@acme.example"}`)
	good := SignDelivery("whsec_test", now, "d-1", body)
	old := SignV1("whsec_test", now, body)
	bound := Verified{DeliveryBound: true}
	tests := []struct {
		name     string
		header   string
		delivery string
		body     []byte
		at       time.Time
		want     error
		verified Verified
	}{
		{"v2", good, "d-1", body, now, nil, bound},
		{"v2, 4 minutes later", good, "d-1", body, now.Add(4 * time.Minute), nil, bound},
		{"v2, clock 4 minutes behind", good, "d-1", body, now.Add(-4 * time.Minute), nil, bound},
		{"v2 replayed under another delivery id", good, "d-2", body, now, ErrBadSignature, Verified{}},
		{"v2 without the delivery id", good, "", body, now, ErrDeliveryID, Verified{}},
		{"v2 with a dot in the delivery id", SignDelivery("whsec_test", now, "d.1", body), "d.1", body, now, ErrDeliveryID, Verified{}},
		{"a delivery id of 201 characters", SignDelivery("whsec_test", now, strings.Repeat("d", 201), body), strings.Repeat("d", 201), body, now, ErrDeliveryID, Verified{}},
		{"missing", "", "d-1", body, now, ErrNoSignature, Verified{}},
		{"no timestamp", "v2=abc", "d-1", body, now, ErrNoSignature, Verified{}},
		{"no signature", "t=1", "d-1", body, now, ErrNoSignature, Verified{}},
		{"garbage", "hello", "d-1", body, now, ErrNoSignature, Verified{}},
		{"other secret", SignDelivery("whsec_other", now, "d-1", body), "d-1", body, now, ErrBadSignature, Verified{}},
		{"changed body", good, "d-1", []byte(`{"email":"mallory@evil.example"}`), now, ErrBadSignature, Verified{}},
		{"changed timestamp", strings.Replace(good, "t=", "t=1", 1), "d-1", body, now, ErrBadSignature, Verified{}},
		{"stale", good, "d-1", body, now.Add(6 * time.Minute), ErrStale, Verified{}},
		{"from the future", good, "d-1", body, now.Add(-6 * time.Minute), ErrStale, Verified{}},
		{"one of two signatures matches", good + ",v2=0000", "d-1", body, now, nil, bound},
		{"v1", old, "d-1", body, now, nil, Verified{ReplayKey: "v1:" + strings.TrimPrefix(old, "t=1795683600,v1=")}},
		{"v1 under another delivery id: the same replay key", old, "d-2", body, now, nil, Verified{ReplayKey: "v1:" + strings.TrimPrefix(old, "t=1795683600,v1=")}},
		{"v1 with a dot in the delivery id", old, "d.1", body, now, nil, Verified{ReplayKey: "v1:" + strings.TrimPrefix(old, "t=1795683600,v1=")}},
		{"v1 without the delivery id", old, "", body, now, ErrDeliveryID, Verified{}},
		{"v1 changed body", old, "d-1", []byte(`{}`), now, ErrBadSignature, Verified{}},
		{"v1 stale", old, "d-1", body, now.Add(6 * time.Minute), ErrStale, Verified{}},
		{"v1 and v2 both match: the v1 key is kept", good + "," + strings.TrimPrefix(old, "t=1795683600,"), "d-1", body, now, nil,
			Verified{DeliveryBound: true, ReplayKey: "v1:" + strings.TrimPrefix(old, "t=1795683600,v1=")}},
		{"v2 of another delivery id beside a good v1", good + "," + strings.TrimPrefix(old, "t=1795683600,"), "d-9", body, now, nil,
			Verified{ReplayKey: "v1:" + strings.TrimPrefix(old, "t=1795683600,v1=")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Verify("whsec_test", tt.header, tt.delivery, tt.body, tt.at)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
			if got != tt.verified {
				t.Fatalf("Verify = %+v, want %+v", got, tt.verified)
			}
		})
	}
}

func TestSignFormat(t *testing.T) {
	t.Parallel()
	// The documented recipes, computed independently with
	// printf '1700000000.d-1.{}' | openssl dgst -sha256 -hmac s (and '1700000000.{}' for v1).
	if got, want := SignDelivery("s", time.Unix(1700000000, 0), "d-1", []byte("{}")),
		"t=1700000000,v2=c214b3eceeb439bedc0d472efb5b71a230113624c240c98967e83a941aa7e831"; got != want {
		t.Fatalf("SignDelivery = %q, want %q", got, want)
	}
	if got, want := SignV1("s", time.Unix(1700000000, 0), []byte("{}")),
		"t=1700000000,v1=e9232c9945da8456c2dea6b39da7786c07b00bca7a64d5dd1283674713a7b72a"; got != want {
		t.Fatalf("SignV1 = %q, want %q", got, want)
	}
}
