package api

import (
	"strconv"
	"testing"
	"time"
)

var limiterT0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

// flood sends n deliveries to token at now and returns how many were let through.
func flood(h *hookLimiter, token string, n int, now time.Time) int {
	allowed := 0
	for range n {
		if ok, _ := h.allow(token, now); ok {
			allowed++
		}
	}
	return allowed
}

func TestHookLimiterStillLimitsATokenAfter20000JunkRequests(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		step time.Duration // how far the clock moves between junk requests
	}{
		{"all at once", 0},
		// 20,000 requests over 0.2 s: junk buckets fill up again 50 ms after their request and are swept.
		{"spread over 0.2 seconds", 10 * time.Microsecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHookLimiter(hookMaxKeys)
			now := limiterT0
			if got := flood(h, "real", 150, now); got != hookBurst {
				t.Fatalf("a burst of 150 let %d through, want %d", got, hookBurst)
			}
			refused := 0
			for i := range 20000 {
				now = now.Add(tt.step)
				if ok, wait := h.allow("junk-"+strconv.Itoa(i), now); !ok {
					refused++
					if wait <= 0 || wait > 5*time.Second {
						t.Fatalf("junk request %d refused with a wait of %v", i, wait)
					}
				}
				if n := h.size(); n > hookMaxKeys {
					t.Fatalf("after junk request %d the limiter follows %d addresses, more than %d", i, n, hookMaxKeys)
				}
			}
			// The real token earned 20 deliveries a second since its burst, and nothing more.
			earned := int(now.Sub(limiterT0).Seconds() * float64(hookRate))
			if got := flood(h, "real", 100, now); got > earned {
				t.Fatalf("after 20,000 junk requests the flooded token let %d of 100 through, want at most %d", got, earned)
			}
			if ok, wait := h.allow("real", now); ok || wait <= 0 {
				t.Fatalf("the flooded token is not limited after the junk: allowed %t, wait %v", ok, wait)
			}
			if tt.step == 0 && refused != 20000-(hookMaxKeys-1) {
				t.Fatalf("%d junk requests refused, want %d: every address beyond the cap while none could be swept", refused, 20000-(hookMaxKeys-1))
			}
			if tt.step != 0 && refused != 0 {
				t.Fatalf("%d junk requests refused although their buckets had filled up again", refused)
			}
		})
	}
}

func TestHookLimiterForgetsOnlyFullBuckets(t *testing.T) {
	t.Parallel()
	h := newHookLimiter(3)
	now := limiterT0
	flood(h, "busy", hookBurst, now) // empty bucket
	flood(h, "idle-a", 1, now)
	flood(h, "idle-b", 1, now)
	if ok, wait := h.allow("new", now); ok || wait <= 0 {
		t.Fatalf("a fourth address while none can be forgotten: allowed %t, wait %v", ok, wait)
	}
	// 50 ms later the idle buckets are full again (they missed one delivery each); "busy" has 1 of 100.
	now = now.Add(hookSweepGap)
	if ok, _ := h.allow("new", now); !ok {
		t.Fatal("a new address was refused although two idle buckets could be forgotten")
	}
	if got := flood(h, "busy", 10, now); got != 1 {
		t.Fatalf("the busy address let %d through after the sweep, want the 1 it earned", got)
	}
	if ok, wait := h.allow("another", now); !ok && (wait <= 0 || wait > time.Second) {
		t.Fatalf("wait = %v", wait)
	}
}
