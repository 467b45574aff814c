package auth_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
)

// signIn is SignIn that sorts the answer: "ok", "wrong" or the throttle's scope, and the throttle's end.
func (b *bundle) signIn(t *testing.T, email, password, ip string) (string, time.Time) {
	t.Helper()
	_, err := b.svc.SignIn(b.ctx, email, password, ip)
	var throttled *auth.ThrottledError
	switch {
	case err == nil:
		return "ok", time.Time{}
	case errors.Is(err, auth.ErrBadCredentials):
		return "wrong", time.Time{}
	case errors.As(err, &throttled):
		return string(throttled.Scope), throttled.Until
	}
	t.Fatalf("SignIn(%s from %s): %v", email, ip, err)
	return "", time.Time{}
}

func TestPairDelay(t *testing.T) {
	t.Parallel()
	for failures, want := range map[int]time.Duration{0: 0, 4: 0, 5: time.Minute, 6: 2 * time.Minute, 7: 4 * time.Minute,
		8: 8 * time.Minute, 9: 15 * time.Minute, 10: 15 * time.Minute, 1000: 15 * time.Minute} {
		if got := auth.PairDelay(failures); got != want {
			t.Errorf("PairDelay(%d) = %v, want %v", failures, got, want)
		}
	}
}

func TestSignInDelaysGrowPerAccountAndAddress(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		rep := b.user(t, "rep@example.com", auth.RoleRep)
		const ip = "198.51.100.7"
		for i := range auth.FreeFailuresPerPair {
			if got, _ := b.signIn(t, rep.Email, "a wrong guess", ip); got != "wrong" {
				t.Fatalf("failure %d = %s, want wrong", i+1, got)
			}
		}
		// Each failure after the free ones doubles the wait, up to 15 minutes.
		for _, wait := range []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 15 * time.Minute, 15 * time.Minute} {
			got, until := b.signIn(t, rep.Email, goodPassword, ip)
			if got != string(auth.ThrottledPair) || !until.Equal(b.clock.Now().Add(wait)) {
				t.Fatalf("the right password right after a failure = %s until %v, want throttled for %v", got, until, wait)
			}
			b.clock.Advance(wait - time.Second)
			if got, _ := b.signIn(t, rep.Email, goodPassword, ip); got != string(auth.ThrottledPair) {
				t.Fatalf("a second before the wait is over = %s, want throttled", got)
			}
			b.clock.Advance(time.Second)
			if got, _ := b.signIn(t, rep.Email, "another wrong guess", ip); got != "wrong" {
				t.Fatalf("once the wait of %v is over = %s, want another try", wait, got)
			}
		}
		b.clock.Advance(auth.PairMaxDelay)
		if got, _ := b.signIn(t, rep.Email, goodPassword, ip); got != "ok" {
			t.Fatalf("the right password after the wait = %s", got)
		}
		// A success starts the count again.
		for i := range auth.FreeFailuresPerPair {
			if got, _ := b.signIn(t, rep.Email, "a wrong guess", ip); got != "wrong" {
				t.Fatalf("failure %d after a success = %s, want wrong", i+1, got)
			}
		}
	})
}

// The attack: someone who knows the owner's email fails from other addresses to lock the owner out.
func TestSignInOwnerIsNotLockedOutByOthersFailing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		owner := b.user(t, "owner@example.com", auth.RoleManager)
		const home = "198.51.100.7"
		if got, _ := b.signIn(t, owner.Email, goodPassword, home); got != "ok" {
			t.Fatalf("the owner's first sign-in = %s", got)
		}
		// One attacker address keeps failing: it is slowed down after five failures.
		wrong := 0
		for range 30 {
			if got, _ := b.signIn(t, owner.Email, "a wrong guess", "203.0.113.9"); got == "wrong" {
				wrong++
			}
		}
		if wrong != auth.FreeFailuresPerPair {
			t.Fatalf("one address had %d guesses in a row, want %d", wrong, auth.FreeFailuresPerPair)
		}
		// Many attacker addresses fail once each: after ten failures from new addresses, new addresses wait.
		wrong = 0
		var refusedAt time.Time
		for i := range 40 {
			got, until := b.signIn(t, owner.Email, "a wrong guess", fmt.Sprintf("203.0.113.%d", 100+i))
			switch got {
			case "wrong":
				wrong++
			case string(auth.ThrottledNewAddress):
				refusedAt = until
			default:
				t.Fatalf("guess from new address %d = %s", i, got)
			}
		}
		if wrong+auth.FreeFailuresPerPair != auth.MaxNewAddressFailures || !refusedAt.Equal(b.clock.Now().Add(auth.ThrottleWindow)) {
			t.Fatalf("new addresses had %d guesses, throttled until %v; want %d and %v", wrong,
				refusedAt, auth.MaxNewAddressFailures-auth.FreeFailuresPerPair, b.clock.Now().Add(auth.ThrottleWindow))
		}
		b.clock.Advance(time.Minute)
		// The owner, from the address they signed in from before, still signs in with the right password...
		if got, _ := b.signIn(t, owner.Email, goodPassword, home); got != "ok" {
			t.Fatalf("the owner from their own address, while others fail = %s, want ok", got)
		}
		// ...and a wrong password from there is just wrong.
		if got, _ := b.signIn(t, owner.Email, "a typo", home); got != "wrong" {
			t.Fatalf("the owner's typo = %s, want wrong", got)
		}
		// From an address the account never signed in from, even the right password waits (the price of
		// stopping distributed guessing), and says until when.
		if got, until := b.signIn(t, owner.Email, goodPassword, "192.0.2.44"); got != string(auth.ThrottledNewAddress) || until.IsZero() {
			t.Fatalf("the right password from a new address = %s until %v, want throttled", got, until)
		}
		b.clock.Advance(auth.ThrottleWindow)
		if got, _ := b.signIn(t, owner.Email, goodPassword, "192.0.2.44"); got != "ok" {
			t.Fatalf("the right password from a new address after the window = %s", got)
		}
	})
}

func TestSignInCapsOneAddressOverAllAccounts(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		rep := b.user(t, "rep@example.com", auth.RoleRep)
		const sprayer = "203.0.113.9"
		for i := range auth.MaxFailuresPerIP {
			if got, _ := b.signIn(t, fmt.Sprintf("user%d@example.com", i), "Summer2026!", sprayer); got != "wrong" {
				t.Fatalf("spray %d = %s, want wrong", i+1, got)
			}
			b.clock.Advance(time.Second)
		}
		got, until := b.signIn(t, rep.Email, "Summer2026!", sprayer)
		if got != string(auth.ThrottledAddress) || !until.Equal(t0.Add(auth.ThrottleWindow)) {
			t.Fatalf("the 21st account from one address = %s until %v, want the address throttled until %v", got, until, t0.Add(auth.ThrottleWindow))
		}
		if got, _ := b.signIn(t, rep.Email, goodPassword, "198.51.100.7"); got != "ok" {
			t.Fatalf("another address = %s, want ok", got)
		}
	})
}

// Guesses sent in parallel are all counted: each is recorded before its password is checked.
func TestSignInCountsParallelGuesses(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		rep := b.user(t, "rep@example.com", auth.RoleRep)
		const n = 20
		results := make(chan string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := b.svc.SignIn(b.ctx, rep.Email, fmt.Sprintf("guess %d", i), "203.0.113.9")
				var throttled *auth.ThrottledError
				switch {
				case errors.Is(err, auth.ErrBadCredentials):
					results <- "wrong"
				case errors.As(err, &throttled):
					results <- "throttled"
				default:
					results <- fmt.Sprint(err)
				}
			}()
		}
		wg.Wait()
		close(results)
		counts := map[string]int{}
		for r := range results {
			counts[r]++
		}
		if counts["wrong"] != auth.FreeFailuresPerPair || counts["throttled"] != n-auth.FreeFailuresPerPair {
			t.Fatalf("%d parallel guesses: %v, want %d checked and the rest throttled", n, counts, auth.FreeFailuresPerPair)
		}
	})
}
