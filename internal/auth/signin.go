package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/store"
)

// Sign-in throttling. Failures are counted three ways, so that guessing is slow but a stranger's failures
// do not lock the owner out:
//   - per account and address: after FreeFailuresPerPair failures in a row the address waits PairFirstDelay
//     before it may try that account again, and the wait doubles with every further failure, up to
//     PairMaxDelay. A success clears the count; failures older than PairMemory are forgotten.
//   - per address, over all accounts (password spraying): MaxFailuresPerIP failures within ThrottleWindow
//     stop the address until the oldest of them is ThrottleWindow old.
//   - per account, from new addresses (distributed guessing): MaxNewAddressFailures failures within
//     ThrottleWindow from addresses that have never signed in to the account stop such addresses until the
//     oldest of them is ThrottleWindow old. An address the account has signed in from is not affected.
const (
	FreeFailuresPerPair   = 5
	PairFirstDelay        = time.Minute
	PairMaxDelay          = 15 * time.Minute
	PairMemory            = 24 * time.Hour
	MaxFailuresPerIP      = 20
	MaxNewAddressFailures = 10
	ThrottleWindow        = 15 * time.Minute
)

// ThrottleScope says what a throttled sign-in was counted against.
type ThrottleScope string

// Throttle scopes.
const (
	ThrottledPair       ThrottleScope = "account from this address"
	ThrottledAddress    ThrottleScope = "address"
	ThrottledNewAddress ThrottleScope = "account from new addresses"
)

// ThrottledError says sign-in is refused for now, and until when.
type ThrottledError struct {
	Until time.Time
	Scope ThrottleScope
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("too many failed sign-ins (%s); try again after %s", e.Scope, e.Until.UTC().Format(time.RFC3339))
}

// PairDelay is how long an address waits after its failures-th failure in a row against one account.
func PairDelay(failures int) time.Duration {
	if failures < FreeFailuresPerPair {
		return 0
	}
	d := PairFirstDelay
	for range failures - FreeFailuresPerPair {
		if d *= 2; d >= PairMaxDelay {
			return PairMaxDelay
		}
	}
	return d
}

// SignIn checks an email and password, with throttling kept in the database so every instance sees it.
// The attempt is recorded as a failure before the password is checked, and turned into a success after,
// so parallel guesses are counted while they are checked; the check and the record are one transaction,
// serialized per account and per address.
func (s *Service) SignIn(ctx context.Context, email, password, ip string) (*Principal, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	now := s.Clock.Now()
	attempt := &store.LoginAttempt{Email: email, IP: ip, Succeeded: false, CreatedAt: now}
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		users := tx.Users()
		// One account's and one address's sign-ins take turns (store.Users.LockSignIns).
		if err := users.LockSignIns(ctx, email, ip); err != nil {
			return err
		}
		if throttled, err := throttle(ctx, users, email, ip, now); err != nil || throttled != nil {
			if throttled != nil {
				return throttled
			}
			return err
		}
		return users.RecordSignIn(ctx, attempt)
	})
	if err != nil {
		return nil, err
	}
	p, err := s.CheckPassword(ctx, email, password)
	if err != nil {
		return nil, err
	}
	if err := s.DB.Users().SignInSucceeded(ctx, attempt); err != nil {
		return nil, err
	}
	return p, nil
}

// throttle applies the three limits to an attempt at now, or returns nil when it may go ahead.
func throttle(ctx context.Context, users store.Users, email, ip string, now time.Time) (*ThrottledError, error) {
	lastSuccess, signedIn, err := users.LastSignIn(ctx, email, ip)
	if err != nil {
		return nil, err
	}
	var worst *ThrottledError
	consider := func(until time.Time, scope ThrottleScope) {
		if until.After(now) && (worst == nil || until.After(worst.Until)) {
			worst = &ThrottledError{Until: until, Scope: scope}
		}
	}

	since := now.Add(-PairMemory)
	if signedIn && lastSuccess.After(since) {
		since = lastSuccess
	}
	pair, err := users.FailedSignIns(ctx, email, ip, since)
	if err != nil {
		return nil, err
	}
	if n := len(pair); n >= FreeFailuresPerPair {
		consider(pair[n-1].Add(PairDelay(n)), ThrottledPair)
	}

	window := now.Add(-ThrottleWindow)
	fromIP, err := users.FailedSignIns(ctx, "", ip, window)
	if err != nil {
		return nil, err
	}
	if n := len(fromIP); n >= MaxFailuresPerIP {
		consider(fromIP[n-MaxFailuresPerIP].Add(ThrottleWindow), ThrottledAddress)
	}

	if !signedIn {
		fromNew, err := users.FailedSignInsFromNewAddresses(ctx, email, window)
		if err != nil {
			return nil, err
		}
		if n := len(fromNew); n >= MaxNewAddressFailures {
			consider(fromNew[n-MaxNewAddressFailures].Add(ThrottleWindow), ThrottledNewAddress)
		}
	}
	return worst, nil
}

// ErrSessionEnded means a session's user is gone, disabled, or signed out everywhere.
var ErrSessionEnded = errors.New("the session has ended; sign in again")

// SessionUser finds the user of a browser session, which must still be current: the user enabled and the
// session's epoch the user's.
func (s *Service) SessionUser(ctx context.Context, id int64, epoch int) (*Principal, error) {
	u, err := s.DB.Users().EnabledUser(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrSessionEnded
	}
	if err != nil {
		return nil, fmt.Errorf("load session user: %w", err)
	}
	if u.SessionEpoch != epoch {
		return nil, ErrSessionEnded
	}
	return principal(u), nil
}

// SignOutEverywhere ends every session of a user.
func (s *Service) SignOutEverywhere(ctx context.Context, userID int64) error {
	return s.DB.Users().SignOutEverywhere(ctx, userID)
}
