package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/kitchenpantry/pantryflow/internal/store"
)

// Sign-in throttling: failures within the window, per email and per address.
const (
	MaxFailuresPerEmail = 5
	MaxFailuresPerIP    = 20
	ThrottleWindow      = 15 * time.Minute
)

// ThrottledError says sign-in is refused for now, and until when.
type ThrottledError struct{ Until time.Time }

func (e *ThrottledError) Error() string {
	return "too many failed sign-ins; wait a few minutes before trying again"
}

// SignIn checks an email and password, with throttling kept in the database so every instance sees it.
// Every attempt is recorded.
func (s *Service) SignIn(ctx context.Context, email, password, ip string) (*Principal, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	now := s.Clock.Now()
	since := now.Add(-ThrottleWindow)
	db := s.DB.Gorm.WithContext(ctx)
	for _, limit := range []struct {
		column, value string
		max           int64
	}{{"email", email, MaxFailuresPerEmail}, {"ip", ip, MaxFailuresPerIP}} {
		var failures []time.Time
		err := db.Model(&store.LoginAttempt{}).Where(limit.column+" = ? AND NOT succeeded AND created_at > ?", limit.value, since).
			Order("created_at").Pluck("created_at", &failures).Error
		if err != nil {
			return nil, fmt.Errorf("check sign-in attempts: %w", err)
		}
		if int64(len(failures)) >= limit.max {
			return nil, &ThrottledError{Until: failures[len(failures)-int(limit.max)].Add(ThrottleWindow)}
		}
	}
	p, err := s.CheckPassword(ctx, email, password)
	attempt := &store.LoginAttempt{Email: email, IP: ip, Succeeded: err == nil, CreatedAt: now}
	if rerr := db.Create(attempt).Error; rerr != nil {
		return nil, fmt.Errorf("record sign-in attempt: %w", rerr)
	}
	return p, err
}

// ErrSessionEnded means a session's user is gone, disabled, or signed out everywhere.
var ErrSessionEnded = errors.New("the session has ended; sign in again")

// SessionUser finds the user of a browser session, which must still be current: the user enabled and the
// session's epoch the user's.
func (s *Service) SessionUser(ctx context.Context, id int64, epoch int) (*Principal, error) {
	var u store.User
	err := s.DB.Gorm.WithContext(ctx).Where("id = ? AND disabled_at IS NULL", id).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrSessionEnded
	}
	if err != nil {
		return nil, fmt.Errorf("load session user: %w", err)
	}
	if u.SessionEpoch != epoch {
		return nil, ErrSessionEnded
	}
	return principal(&u), nil
}

// SignOutEverywhere ends every session of a user.
func (s *Service) SignOutEverywhere(ctx context.Context, userID int64) error {
	err := s.DB.Gorm.WithContext(ctx).Model(&store.User{}).Where("id = ?", userID).
		UpdateColumn("session_epoch", gorm.Expr("session_epoch + 1")).Error
	if err != nil {
		return fmt.Errorf("sign out user %d everywhere: %w", userID, err)
	}
	return nil
}
