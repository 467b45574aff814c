package expression

import (
	"errors"
	"slices"
	"testing"
	"time"
)

// fakeClock is a Clock frozen at one instant.
type fakeClock struct{ t time.Time }

func (c fakeClock) Now() time.Time { return c.t }

// testNow is the instant the fake clock shows in tests.
var testNow = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)

func newTestEngine() *Engine {
	return New(fakeClock{t: testNow}, Limits{})
}

// asError extracts the *Error from err or fails the test.
func asError(t *testing.T, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	return e
}

func equalStrings(a, b []string) bool { return slices.Equal(a, b) }
