package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The users and their API tokens. Sign-in attempts and sessions are in sessions.go.

// CreateUser inserts a user; a user with the same email is ErrExists.
func (r Users) CreateUser(ctx context.Context, u *User) error {
	err := r.q(ctx).Create(u).Error
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return fmt.Errorf("user %s: %w", u.Email, ErrExists)
	}
	if err != nil {
		return fmt.Errorf("create user %s: %w", u.Email, err)
	}
	return nil
}

// CountUsers counts the users, enabled or not.
func (r Users) CountUsers(ctx context.Context) (int64, error) {
	var n int64
	if err := r.q(ctx).Model(&User{}).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// User reads a user by id, enabled or not; ErrNotFound when there is none.
func (r Users) User(ctx context.Context, id int64) (*User, error) {
	return r.userWhere(ctx, "id = ?", id)
}

// EnabledUser reads a user by id who may sign in; ErrNotFound when there is none or they are disabled.
func (r Users) EnabledUser(ctx context.Context, id int64) (*User, error) {
	return r.userWhere(ctx, "id = ? AND disabled_at IS NULL", id)
}

// UserWithEmail reads a user by (normalised) email, disabled ones included; ErrNotFound when there is none.
func (r Users) UserWithEmail(ctx context.Context, email string) (*User, error) {
	var rows []User
	if err := r.q(ctx).Where("email = ?", email).Limit(1).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("look up user %s: %w", email, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("user %s: %w", email, ErrNotFound)
	}
	return &rows[0], nil
}

func (r Users) userWhere(ctx context.Context, cond string, args ...any) (*User, error) {
	var u User
	err := r.q(ctx).Where(cond, args...).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("user: %w", ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// ListUsers lists every user, enabled or not, by email.
func (r Users) ListUsers(ctx context.Context) ([]User, error) {
	var rows []User
	if err := r.q(ctx).Order("email").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return rows, nil
}

// LockEnabledAdmins reads the ids of the enabled admins, in order, and locks their rows (PostgreSQL) until
// the transaction ends, so two admins demoting each other cannot both succeed.
func (r Users) LockEnabledAdmins(ctx context.Context, adminRole string) ([]int64, error) {
	var admins []int64
	err := r.q(ctx).Model(&User{}).Clauses(clause.Locking{Strength: "UPDATE"}).
		Where("role = ? AND disabled_at IS NULL", adminRole).Order("id").Pluck("id", &admins).Error
	if err != nil {
		return nil, fmt.Errorf("count admins: %w", err)
	}
	return admins, nil
}

// SetProfile changes a user's role and name.
func (r Users) SetProfile(ctx context.Context, id int64, role, name string, now time.Time) error {
	return r.q(ctx).Model(&User{}).Where("id = ?", id).
		Updates(map[string]any{"role": role, "name": name, "updated_at": now}).Error
}

// Disable stops a user from signing in and ends their sessions (the session epoch moves on).
func (r Users) Disable(ctx context.Context, id int64, now time.Time) error {
	return r.q(ctx).Model(&User{}).Where("id = ?", id).UpdateColumns(map[string]any{"disabled_at": now, "updated_at": now,
		"session_epoch": gorm.Expr("session_epoch + 1")}).Error
}

// Enable lets a disabled user sign in again; their sessions stay ended.
func (r Users) Enable(ctx context.Context, id int64, now time.Time) error {
	return r.q(ctx).Model(&User{}).Where("id = ?", id).UpdateColumns(map[string]any{"disabled_at": nil, "updated_at": now}).Error
}

// SetPassword stores a new password hash and ends every session of the user.
func (r Users) SetPassword(ctx context.Context, id int64, hash string, now time.Time) error {
	return r.q(ctx).Model(&User{}).Where("id = ?", id).UpdateColumns(map[string]any{"password_hash": hash, "updated_at": now,
		"session_epoch": gorm.Expr("session_epoch + 1")}).Error
}

// SignOutEverywhere ends every session of a user.
func (r Users) SignOutEverywhere(ctx context.Context, id int64) error {
	err := r.q(ctx).Model(&User{}).Where("id = ?", id).UpdateColumn("session_epoch", gorm.Expr("session_epoch + 1")).Error
	if err != nil {
		return fmt.Errorf("sign out user %d everywhere: %w", id, err)
	}
	return nil
}

// EnabledEmails lists the emails of the users who can sign in, in order.
func (r Users) EnabledEmails(ctx context.Context) ([]string, error) {
	var out []string
	if err := r.q(ctx).Model(&User{}).Where("disabled_at IS NULL").Order("email").Pluck("email", &out).Error; err != nil {
		return nil, fmt.Errorf("list people: %w", err)
	}
	return out, nil
}

// People lists the users who can sign in (email and name), by name then email, at most limit.
func (r Users) People(ctx context.Context, limit int) ([]User, error) {
	var users []User
	if err := r.q(ctx).Select("email", "name").Where("disabled_at IS NULL").Order("name, email").Limit(limit).Find(&users).Error; err != nil {
		return nil, fmt.Errorf("list people: %w", err)
	}
	return users, nil
}

// EmailsByID maps the given users' ids to their emails; unknown ids are left out.
func (r Users) EmailsByID(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var users []User
	if err := r.q(ctx).Select("id", "email").Where("id IN ?", ids).Find(&users).Error; err != nil {
		return nil, fmt.Errorf("look up users: %w", err)
	}
	for _, u := range users {
		out[u.ID] = u.Email
	}
	return out, nil
}

// NamesByEmail maps the given users' emails to their names; unknown emails are left out.
func (r Users) NamesByEmail(ctx context.Context, emails []string) (map[string]string, error) {
	out := map[string]string{}
	if len(emails) == 0 {
		return out, nil
	}
	var users []User
	if err := r.q(ctx).Select("email", "name").Where("email IN ?", emails).Find(&users).Error; err != nil {
		return nil, fmt.Errorf("look up users: %w", err)
	}
	for _, u := range users {
		out[u.Email] = u.Name
	}
	return out, nil
}

// ByEmails reads the users with the given (normalised) emails, disabled ones included: id, email and
// disabled_at only.
func (r Users) ByEmails(ctx context.Context, emails []string) ([]User, error) {
	var rows []User
	if err := r.q(ctx).Select("id", "email", "disabled_at").Where("email IN ?", emails).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("look up users: %w", err)
	}
	return rows, nil
}

// ---- API tokens ----

// CreateToken inserts an API token (its hash).
func (r Users) CreateToken(ctx context.Context, t *APIToken) error {
	return r.q(ctx).Create(t).Error
}

// ActiveToken finds the token with the hash that is not revoked; ErrNotFound when there is none.
func (r Users) ActiveToken(ctx context.Context, hash string) (*APIToken, error) {
	return r.tokenWhere(ctx, "token_hash = ? AND revoked_at IS NULL", hash)
}

// TokenWithHash finds the token with the hash, revoked or not; ErrNotFound when there is none.
func (r Users) TokenWithHash(ctx context.Context, hash string) (*APIToken, error) {
	return r.tokenWhere(ctx, "token_hash = ?", hash)
}

func (r Users) tokenWhere(ctx context.Context, cond string, args ...any) (*APIToken, error) {
	var row APIToken
	err := r.q(ctx).Where(cond, args...).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("API token: %w", ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return &row, nil
}

// TouchToken records that a token was used at now.
func (r Users) TouchToken(ctx context.Context, id int64, now time.Time) error {
	return r.q(ctx).Model(&APIToken{}).Where("id = ?", id).UpdateColumn("last_used_at", now).Error
}

// TokenRow is an API token with its owner's email.
type TokenRow struct {
	ID         int64
	UserID     int64
	Owner      string // the owner's email
	Name       string
	Prefix     string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// TokenFilter narrows a token list; zero fields do not narrow it.
type TokenFilter struct {
	ID     int64
	UserID int64
}

// ListTokens lists the tokens f asks for with their owners, newest first, revoked ones included.
func (r Users) ListTokens(ctx context.Context, f TokenFilter) ([]TokenRow, error) {
	q := r.q(ctx).Table("api_tokens").
		Select("api_tokens.id, api_tokens.user_id, users.email AS owner, api_tokens.name, api_tokens.prefix, " +
			"api_tokens.created_at, api_tokens.last_used_at, api_tokens.revoked_at").
		Joins("JOIN users ON users.id = api_tokens.user_id")
	if f.ID != 0 {
		q = q.Where("api_tokens.id = ?", f.ID)
	}
	if f.UserID != 0 {
		q = q.Where("api_tokens.user_id = ?", f.UserID)
	}
	var out []TokenRow
	if err := q.Order("api_tokens.created_at DESC, api_tokens.id DESC").Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("list API tokens: %w", err)
	}
	return out, nil
}

// RevokeToken revokes a token at now unless it is revoked already; with ownerID (not 0), only when it is
// theirs. Revoking nothing is not an error.
func (r Users) RevokeToken(ctx context.Context, id, ownerID int64, now time.Time) error {
	q := r.q(ctx).Model(&APIToken{}).Where("id = ? AND revoked_at IS NULL", id)
	if ownerID != 0 {
		q = q.Where("user_id = ?", ownerID)
	}
	if err := q.UpdateColumn("revoked_at", now).Error; err != nil {
		return fmt.Errorf("revoke API token %d: %w", id, err)
	}
	return nil
}

// UserSettings are what a user sets for themselves beyond their password.
type UserSettings struct {
	Timezone       string
	Notify         string
	AwayFrom       *time.Time
	AwayTo         *time.Time
	AwayDelegateID *int64
}

// SetSettings stores a user's own settings.
func (r Users) SetSettings(ctx context.Context, id int64, s UserSettings, now time.Time) error {
	cols := map[string]any{
		"timezone": s.Timezone, "notify": s.Notify, "away_from": s.AwayFrom, "away_to": s.AwayTo,
		"away_delegate_id": s.AwayDelegateID, "updated_at": now,
	}
	if s.Notify == NotifyDigest {
		// Choosing the digest starts it tomorrow: what comes from now on waits for the next 08:00.
		cols["digest_sent_at"] = gorm.Expr("CASE WHEN notify = ? THEN digest_sent_at ELSE ? END", NotifyDigest, now)
	}
	err := r.q(ctx).Model(&User{}).Where("id = ?", id).UpdateColumns(cols).Error
	if err != nil {
		return fmt.Errorf("store the settings of user %d: %w", id, err)
	}
	return nil
}

// SetManager records whom the user's escalations go to (nil for nobody).
func (r Users) SetManager(ctx context.Context, id int64, managerID *int64, now time.Time) error {
	err := r.q(ctx).Model(&User{}).Where("id = ?", id).UpdateColumns(map[string]any{"manager_id": managerID, "updated_at": now}).Error
	if err != nil {
		return fmt.Errorf("set the manager of user %d: %w", id, err)
	}
	return nil
}

// WithPendingNotifications lists the users who have lines waiting for their digest.
func (r Users) WithPendingNotifications(ctx context.Context) ([]User, error) {
	var out []User
	err := r.q(ctx).Where("id IN (SELECT user_id FROM pending_notifications) AND disabled_at IS NULL").Order("id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("find users with a digest to send: %w", err)
	}
	return out, nil
}

// ClaimDigest records that the user's digest for the day that began at since is being sent; false when it
// was sent (or is being sent by another instance) already.
func (r Users) ClaimDigest(ctx context.Context, id int64, since, now time.Time) (bool, error) {
	res := r.q(ctx).Model(&User{}).Where("id = ? AND (digest_sent_at IS NULL OR digest_sent_at < ?)", id, since).
		UpdateColumn("digest_sent_at", now)
	if res.Error != nil {
		return false, fmt.Errorf("claim the digest of user %d: %w", id, res.Error)
	}
	return res.RowsAffected > 0, nil
}
