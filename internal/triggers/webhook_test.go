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
	good := Sign("whsec_test", now, body)
	tests := []struct {
		name   string
		header string
		body   []byte
		at     time.Time
		want   error
	}{
		{"good", good, body, now, nil},
		{"good, 4 minutes later", good, body, now.Add(4 * time.Minute), nil},
		{"good, clock 4 minutes behind", good, body, now.Add(-4 * time.Minute), nil},
		{"missing", "", body, now, ErrNoSignature},
		{"no timestamp", "v1=abc", body, now, ErrNoSignature},
		{"garbage", "hello", body, now, ErrNoSignature},
		{"other secret", Sign("whsec_other", now, body), body, now, ErrBadSignature},
		{"changed body", good, []byte(`{"email":"mallory@evil.example"}`), now, ErrBadSignature},
		{"changed timestamp", strings.Replace(good, "t=", "t=1", 1), body, now, ErrBadSignature},
		{"stale", good, body, now.Add(6 * time.Minute), ErrStale},
		{"from the future", good, body, now.Add(-6 * time.Minute), ErrStale},
		{"one of two signatures matches", good + ",v1=0000", body, now, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := Verify("whsec_test", tt.header, tt.body, tt.at)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestSignFormat(t *testing.T) {
	t.Parallel()
	got := Sign("s", time.Unix(1700000000, 0), []byte("{}"))
	if !strings.HasPrefix(got, "t=1700000000,v1=") || len(got) != len("t=1700000000,v1=")+64 {
		t.Fatalf("Sign = %q", got)
	}
}
