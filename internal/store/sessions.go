package store

import (
	"context"
	"fmt"
	"time"
)

// Session is a browser session (the table gormstore uses).
type Session struct {
	ID        string `gorm:"primaryKey"`
	Data      string
	CreatedAt time.Time
	UpdatedAt time.Time
	ExpiresAt time.Time
}

// LoginAttempt is one sign-in attempt, for throttling.
type LoginAttempt struct {
	ID        int64 `gorm:"primaryKey"`
	Email     string
	IP        string
	Succeeded bool
	CreatedAt time.Time
}

// ---- Sign-in attempts, for throttling ----

// LockSignIns serialises the sign-ins of one account and of one address until the transaction ends. SQLite
// has one connection, so its transactions run one at a time already. On PostgreSQL the account's lock is
// taken before the address's (two key spaces, 1 and 2), always in this order, so two sign-ins cannot wait
// for each other.
func (r Users) LockSignIns(ctx context.Context, email, ip string) error {
	if r.dialect != Postgres {
		return nil
	}
	for _, lock := range []struct {
		space int
		key   string
	}{{1, email}, {2, ip}} {
		if err := r.q(ctx).Exec("SELECT pg_advisory_xact_lock(?, hashtext(?))", lock.space, lock.key).Error; err != nil {
			return fmt.Errorf("lock sign-in attempts: %w", err)
		}
	}
	return nil
}

// RecordSignIn inserts a sign-in attempt.
func (r Users) RecordSignIn(ctx context.Context, a *LoginAttempt) error {
	if err := r.q(ctx).Create(a).Error; err != nil {
		return fmt.Errorf("record sign-in attempt: %w", err)
	}
	return nil
}

// SignInSucceeded marks a recorded attempt a success.
func (r Users) SignInSucceeded(ctx context.Context, a *LoginAttempt) error {
	if err := r.q(ctx).Model(&LoginAttempt{}).Where("id = ?", a.ID).UpdateColumn("succeeded", true).Error; err != nil {
		return fmt.Errorf("record sign-in attempt: %w", err)
	}
	a.Succeeded = true
	return nil
}

// LastSignIn is when the account last signed in from the address; false when it never did.
func (r Users) LastSignIn(ctx context.Context, email, ip string) (time.Time, bool, error) {
	var last []time.Time
	if err := r.q(ctx).Model(&LoginAttempt{}).Where("email = ? AND ip = ? AND succeeded", email, ip).Order("created_at DESC").Limit(1).
		Pluck("created_at", &last).Error; err != nil {
		return time.Time{}, false, fmt.Errorf("check sign-in attempts: %w", err)
	}
	if len(last) == 0 {
		return time.Time{}, false, nil
	}
	return last[0], true, nil
}

// FailedSignIns lists when the failed attempts after since were made, oldest first: of the account from
// the address, or with email "" of anyone from the address.
func (r Users) FailedSignIns(ctx context.Context, email, ip string, since time.Time) ([]time.Time, error) {
	q := r.q(ctx).Model(&LoginAttempt{})
	if email != "" {
		q = q.Where("email = ? AND ip = ? AND NOT succeeded AND created_at > ?", email, ip, since)
	} else {
		q = q.Where("ip = ? AND NOT succeeded AND created_at > ?", ip, since)
	}
	var out []time.Time
	if err := q.Order("created_at").Pluck("created_at", &out).Error; err != nil {
		return nil, fmt.Errorf("check sign-in attempts: %w", err)
	}
	return out, nil
}

// FailedSignInsFromNewAddresses lists when the failed attempts at the account after since were made from
// addresses it never signed in from, oldest first.
func (r Users) FailedSignInsFromNewAddresses(ctx context.Context, email string, since time.Time) ([]time.Time, error) {
	var out []time.Time
	err := r.q(ctx).Table("login_attempts AS a").
		Where("a.email = ? AND NOT a.succeeded AND a.created_at > ?", email, since).
		Where("NOT EXISTS (SELECT 1 FROM login_attempts s WHERE s.email = a.email AND s.ip = a.ip AND s.succeeded)").
		Order("a.created_at").Pluck("a.created_at", &out).Error
	if err != nil {
		return nil, fmt.Errorf("check sign-in attempts: %w", err)
	}
	return out, nil
}

// ForgetFailedSignIns deletes the failed attempts at an account.
func (r Users) ForgetFailedSignIns(ctx context.Context, email string) error {
	if err := r.q(ctx).Where("email = ? AND NOT succeeded", email).Delete(&LoginAttempt{}).Error; err != nil {
		return fmt.Errorf("forget failed sign-ins of %s: %w", email, err)
	}
	return nil
}
