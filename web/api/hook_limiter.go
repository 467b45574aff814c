package api

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Webhook flood limits: each address takes 20 deliveries a second with bursts of 100, and the limiter
// follows at most 10,000 addresses at a time.
const (
	hookRate     rate.Limit = 20
	hookBurst               = 100
	hookMaxKeys             = 10000
	hookSweepGap            = 50 * time.Millisecond
)

// hookLimiter keeps one sender from flooding a webhook, with bounded memory. It is checked before the
// address is looked up, so unknown addresses pass through it too, and they must neither grow it without
// bound nor push out an address that is being limited.
//
// A limiter whose bucket is full again behaves exactly like a new one, so dropping it forgets nothing:
// when the map is full, a sweep drops those. A limiter that is not full is never dropped; when none can
// be, new addresses are refused until one can. Sweeps are a pass over the map, so they run at most every
// hookSweepGap, and a sweep that frees nothing puts the next one off until the first bucket fills up.
type hookLimiter struct {
	mu        sync.Mutex
	limiters  map[string]*rate.Limiter
	max       int
	nextSweep time.Time
}

func newHookLimiter(maxKeys int) *hookLimiter {
	return &hookLimiter{limiters: map[string]*rate.Limiter{}, max: maxKeys}
}

// allow reports whether a delivery to token may go ahead at now and, when not, how long to wait.
func (h *hookLimiter) allow(token string, now time.Time) (bool, time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	l, ok := h.limiters[token]
	if !ok {
		if len(h.limiters) >= h.max && !h.sweep(now) {
			return false, h.nextSweep.Sub(now)
		}
		l = rate.NewLimiter(hookRate, hookBurst)
		h.limiters[token] = l
	}
	if !l.AllowN(now, 1) {
		return false, time.Duration((1 - l.TokensAt(now)) / float64(hookRate) * float64(time.Second))
	}
	return true, 0
}

// sweep drops the limiters whose bucket is full and reports whether that made room.
func (h *hookLimiter) sweep(now time.Time) bool {
	if now.Before(h.nextSweep) {
		return false
	}
	soonest := math.Inf(1) // seconds until the first remaining bucket is full
	for token, l := range h.limiters {
		missing := float64(hookBurst) - l.TokensAt(now)
		if missing <= 0 {
			delete(h.limiters, token)
			continue
		}
		soonest = min(soonest, missing/float64(hookRate))
	}
	h.nextSweep = now.Add(hookSweepGap)
	if len(h.limiters) < h.max {
		return true
	}
	if wait := time.Duration(soonest * float64(time.Second)); wait > hookSweepGap {
		h.nextSweep = now.Add(wait)
	}
	return false
}

// size is how many addresses are followed.
func (h *hookLimiter) size() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.limiters)
}
