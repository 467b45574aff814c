package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/kitchenpantry/pantryflow/internal/store"
)

// Limits of what people type into the settings pages.
const (
	// MaxPasswordBytes is bcrypt's limit: it refuses longer passwords.
	MaxPasswordBytes = 72
	MaxNameLength    = 100
	MaxTokenName     = 80
)

// UserInfo is a user as the settings pages show them: never the password hash.
type UserInfo struct {
	ID         int64
	Email      string
	Name       string
	Role       Role
	DisabledAt *time.Time
	CreatedAt  time.Time
}

// Enabled reports whether the user may sign in.
func (u UserInfo) Enabled() bool { return u.DisabledAt == nil }

func userInfo(u *store.User) *UserInfo {
	return &UserInfo{ID: u.ID, Email: u.Email, Name: u.Name, Role: Role(u.Role), DisabledAt: u.DisabledAt, CreatedAt: u.CreatedAt}
}

// TokenInfo is an API token as the settings pages show it: its name and first characters, never the secret.
type TokenInfo struct {
	ID         int64
	UserID     int64
	Owner      string // the owner's email
	Name       string
	Prefix     string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// Revoked reports whether the token no longer works.
func (t TokenInfo) Revoked() bool { return t.RevokedAt != nil }

// FieldError says what is wrong with one field of a request.
type FieldError struct {
	Field   string
	Message string
}

// InvalidError refuses a request for what it holds, field by field; nothing was changed.
type InvalidError struct{ Problems []FieldError }

func (e *InvalidError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Message
	}
	return strings.Join(msgs, "; ")
}

func invalid(field, msg string) error {
	return &InvalidError{Problems: []FieldError{{Field: field, Message: msg}}}
}

// LastAdminError refuses a change that would leave nobody able to manage users.
type LastAdminError struct {
	Email  string
	Change string // what was refused: "disabled", "made a manager", …
}

func (e *LastAdminError) Error() string {
	return fmt.Sprintf("%s is the last enabled admin and cannot be %s: make another user an admin first, so someone can still manage users",
		e.Email, e.Change)
}

// NotFoundError is a user or token that does not exist (or, for a token, is not the asker's). It is a
// store.ErrNotFound with a message for people.
type NotFoundError struct{ Message string }

func (e *NotFoundError) Error() string { return e.Message }
func (e *NotFoundError) Unwrap() error { return store.ErrNotFound }

// The users and tokens that are not there.
var (
	ErrUserNotFound  error = &NotFoundError{Message: "there is no such user; they may have been removed"}
	ErrTokenNotFound error = &NotFoundError{Message: "there is no such API token among yours"}
)

// NewUser is what it takes to add a user. An empty Password means: generate one.
type NewUser struct {
	Email    string
	Name     string
	Role     Role
	Password string
}

// ListUsers lists every user, enabled or not, by email.
func (s *Service) ListUsers(ctx context.Context) ([]UserInfo, error) {
	rows, err := s.DB.Users().ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]UserInfo, len(rows))
	for i := range rows {
		out[i] = *userInfo(&rows[i])
	}
	return out, nil
}

// GetUser finds a user by id, enabled or not.
func (s *Service) GetUser(ctx context.Context, id int64) (*UserInfo, error) {
	u, err := loadUser(ctx, s.DB.Users(), id)
	if err != nil {
		return nil, err
	}
	return userInfo(u), nil
}

func loadUser(ctx context.Context, users store.Users, id int64) (*store.User, error) {
	u, err := users.User(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrUserNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load user %d: %w", id, err)
	}
	return u, nil
}

// AddUser adds a user, checking every field first so the form can show each problem next to its field. When
// nu.Password is empty a password is generated and returned, to be shown once.
func (s *Service) AddUser(ctx context.Context, nu NewUser) (*UserInfo, string, error) {
	var problems []FieldError
	email, err := NormalizeEmail(nu.Email)
	if err != nil {
		problems = append(problems, FieldError{"email", "type the person's email address, like jane@example.com"})
	} else if existing, err := s.userByEmailAnyState(ctx, email); err != nil {
		return nil, "", err
	} else if existing != nil {
		msg := "a user with the email " + email + " exists already"
		if existing.DisabledAt != nil {
			msg += " (disabled: enable them in the list instead)"
		}
		problems = append(problems, FieldError{"email", msg})
	}
	name := strings.TrimSpace(nu.Name)
	if msg := checkName(name); msg != "" {
		problems = append(problems, FieldError{"name", msg})
	}
	if !slices.Contains(Roles, nu.Role) {
		problems = append(problems, FieldError{"role", "choose a role: rep, manager or admin"})
	}
	generated := ""
	password := nu.Password
	if password == "" {
		generated = RandomSecret(18)
		password = generated
	} else if msg := checkPassword(password); msg != "" {
		problems = append(problems, FieldError{"password", msg})
	}
	if len(problems) > 0 {
		return nil, "", &InvalidError{Problems: problems}
	}
	u, err := s.CreateUser(ctx, email, name, nu.Role, password)
	if err != nil {
		// Someone added the same email a moment ago: say so like the check above does.
		if existing, qerr := s.userByEmailAnyState(ctx, email); qerr == nil && existing != nil {
			return nil, "", invalid("email", "a user with the email "+email+" exists already")
		}
		return nil, "", err
	}
	return userInfo(u), generated, nil
}

// userByEmailAnyState finds a user by normalised email, disabled ones included; nil when there is none.
func (s *Service) userByEmailAnyState(ctx context.Context, email string) (*store.User, error) {
	u, err := s.DB.Users().UserWithEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return u, err
}

func checkName(name string) string {
	if utf8.RuneCountInString(name) > MaxNameLength {
		return fmt.Sprintf("the name is too long: use at most %d characters", MaxNameLength)
	}
	return ""
}

func checkPassword(pw string) string {
	switch {
	case utf8.RuneCountInString(pw) < MinPasswordLength:
		return fmt.Sprintf("the password must have at least %d characters", MinPasswordLength)
	case len(pw) > MaxPasswordBytes:
		return fmt.Sprintf("the password is too long: use at most %d characters (fewer with accents or emoji)", MaxPasswordBytes)
	}
	return ""
}

// UpdateUser changes a user's role and name. The last enabled admin keeps the admin role.
func (s *Service) UpdateUser(ctx context.Context, id int64, role Role, name string) (*UserInfo, error) {
	name = strings.TrimSpace(name)
	var problems []FieldError
	if msg := checkName(name); msg != "" {
		problems = append(problems, FieldError{"name", msg})
	}
	if !slices.Contains(Roles, role) {
		problems = append(problems, FieldError{"role", "choose a role: rep, manager or admin"})
	}
	if len(problems) > 0 {
		return nil, &InvalidError{Problems: problems}
	}
	var out *UserInfo
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		u, err := s.guardAdmins(ctx, tx.Users(), id, role != RoleAdmin, "made a "+string(role))
		if err != nil {
			return err
		}
		u.Role, u.Name, u.UpdatedAt = string(role), name, s.Clock.Now()
		if err := tx.Users().SetProfile(ctx, id, u.Role, u.Name, u.UpdatedAt); err != nil {
			return fmt.Errorf("update user %s: %w", u.Email, err)
		}
		out = userInfo(u)
		return nil
	})
	return out, err
}

// guardAdmins loads a user inside tx. When losing is true (the change takes their admin rights or disables
// them) and they are the last enabled admin, it refuses. The enabled admins are locked first (PostgreSQL), so
// two admins demoting each other at the same moment cannot both succeed; SQLite runs one writer at a time.
func (s *Service) guardAdmins(ctx context.Context, users store.Users, id int64, losing bool, change string) (*store.User, error) {
	admins, err := users.LockEnabledAdmins(ctx, string(RoleAdmin))
	if err != nil {
		return nil, err
	}
	u, err := loadUser(ctx, users, id)
	if err != nil {
		return nil, err
	}
	if losing && slices.Equal(admins, []int64{u.ID}) {
		return nil, &LastAdminError{Email: u.Email, Change: change}
	}
	return u, nil
}

// DisableUser stops a user from signing in: their sessions end at once (the session epoch moves on) and
// their API tokens stop working while they are disabled. The last enabled admin cannot be disabled.
func (s *Service) DisableUser(ctx context.Context, id int64) (*UserInfo, error) {
	var out *UserInfo
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		u, err := s.guardAdmins(ctx, tx.Users(), id, true, "disabled")
		if err != nil {
			return err
		}
		if u.DisabledAt != nil {
			out = userInfo(u)
			return nil
		}
		now := s.Clock.Now()
		if err := tx.Users().Disable(ctx, id, now); err != nil {
			return fmt.Errorf("disable user %s: %w", u.Email, err)
		}
		u.DisabledAt = &now
		out = userInfo(u)
		return nil
	})
	return out, err
}

// EnableUser lets a disabled user sign in again; sessions they had before stay ended.
func (s *Service) EnableUser(ctx context.Context, id int64) (*UserInfo, error) {
	users := s.DB.Users()
	u, err := loadUser(ctx, users, id)
	if err != nil {
		return nil, err
	}
	if u.DisabledAt == nil {
		return userInfo(u), nil
	}
	now := s.Clock.Now()
	if err := users.Enable(ctx, id, now); err != nil {
		return nil, fmt.Errorf("enable user %s: %w", u.Email, err)
	}
	u.DisabledAt = nil
	return userInfo(u), nil
}

// ResetPassword gives a user a new password chosen by an admin, or a generated one (returned, to be shown
// once) when password is empty. The user is signed out everywhere, and their failed sign-ins are forgotten so
// a throttled user can sign in with the new password at once.
func (s *Service) ResetPassword(ctx context.Context, id int64, password string) (generated string, err error) {
	if password == "" {
		generated = RandomSecret(18)
		password = generated
	} else if msg := checkPassword(password); msg != "" {
		return "", invalid("password", msg)
	}
	hash, err := s.hashPassword(password)
	if err != nil {
		return "", err
	}
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		users := tx.Users()
		u, err := loadUser(ctx, users, id)
		if err != nil {
			return err
		}
		if err := users.SetPassword(ctx, u.ID, hash, s.Clock.Now()); err != nil {
			return fmt.Errorf("reset the password of %s: %w", u.Email, err)
		}
		return users.ForgetFailedSignIns(ctx, u.Email)
	})
	if err != nil {
		return "", err
	}
	return generated, nil
}

// ChangeOwnPassword lets a signed-in user choose a new password, given their current one. Their other
// sessions end; the returned principal carries the new session epoch, so the caller can keep this one.
func (s *Service) ChangeOwnPassword(ctx context.Context, id int64, current, next string) (*Principal, error) {
	users := s.DB.Users()
	u, err := loadUser(ctx, users, id)
	if err != nil {
		return nil, err
	}
	if u.DisabledAt != nil {
		return nil, ErrSessionEnded
	}
	var problems []FieldError
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(current)) != nil {
		problems = append(problems, FieldError{"current", "this is not your current password"})
	}
	if msg := checkPassword(next); msg != "" {
		problems = append(problems, FieldError{"new", msg})
	} else if next == current {
		problems = append(problems, FieldError{"new", "the new password is the same as the current one"})
	}
	if len(problems) > 0 {
		return nil, &InvalidError{Problems: problems}
	}
	hash, err := s.hashPassword(next)
	if err != nil {
		return nil, err
	}
	if err := users.SetPassword(ctx, id, hash, s.Clock.Now()); err != nil {
		return nil, fmt.Errorf("change the password of %s: %w", u.Email, err)
	}
	if u, err = loadUser(ctx, users, id); err != nil {
		return nil, err
	}
	return principal(u), nil
}

// ListTokens lists a user's API tokens, newest first, revoked ones included.
func (s *Service) ListTokens(ctx context.Context, userID int64) ([]TokenInfo, error) {
	return s.listTokens(ctx, store.TokenFilter{UserID: userID})
}

// ListAllTokens lists every user's API tokens with their owner, newest first.
func (s *Service) ListAllTokens(ctx context.Context) ([]TokenInfo, error) {
	return s.listTokens(ctx, store.TokenFilter{})
}

func (s *Service) listTokens(ctx context.Context, f store.TokenFilter) ([]TokenInfo, error) {
	rows, err := s.DB.Users().ListTokens(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([]TokenInfo, 0, len(rows))
	for _, r := range rows {
		out = append(out, TokenInfo(r))
	}
	return out, nil
}

// IssueToken makes a named API token for an enabled user and returns it (shown once) with its description.
func (s *Service) IssueToken(ctx context.Context, userID int64, name string) (string, *TokenInfo, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", nil, invalid("name", "give the token a name that says where it is used, like \"Zapier\" or \"reporting script\"")
	case utf8.RuneCountInString(name) > MaxTokenName:
		return "", nil, invalid("name", fmt.Sprintf("the name is too long: use at most %d characters", MaxTokenName))
	}
	u, err := loadUser(ctx, s.DB.Users(), userID)
	if err != nil {
		return "", nil, err
	}
	if u.DisabledAt != nil {
		return "", nil, ErrSessionEnded
	}
	token, err := s.CreateToken(ctx, u.Email, name)
	if err != nil {
		return "", nil, err
	}
	row, err := s.DB.Users().TokenWithHash(ctx, HashToken(token))
	if err != nil {
		return "", nil, fmt.Errorf("read the new token back: %w", err)
	}
	return token, &TokenInfo{ID: row.ID, UserID: u.ID, Owner: u.Email, Name: row.Name, Prefix: row.Prefix, CreatedAt: row.CreatedAt}, nil
}

// RevokeToken ends an API token for good. Anyone may revoke their own tokens; an admin may revoke anyone's.
// Another user's token is "not found" to a non-admin, so token ids tell nothing. Revoking twice is harmless.
func (s *Service) RevokeToken(ctx context.Context, by *Principal, tokenID int64) (*TokenInfo, error) {
	f := store.TokenFilter{ID: tokenID}
	if by.Role != RoleAdmin {
		f.UserID = by.ID
	}
	if err := s.DB.Users().RevokeToken(ctx, tokenID, f.UserID, s.Clock.Now()); err != nil {
		return nil, err
	}
	rows, err := s.listTokens(ctx, f)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, ErrTokenNotFound
	}
	return &rows[0], nil
}
