// Package auth owns who someone is and what they may do: users and their roles, password hashing, and API
// tokens (stored only as hashes).
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/kitchenpantry/pantryflow/internal/clock"
	"github.com/kitchenpantry/pantryflow/internal/store"
)

// Role is what a user may do: a rep works tasks and the CRM, a manager also designs and runs workflows, an
// admin also manages users.
type Role string

// Roles, from least to most allowed.
const (
	RoleRep     Role = "rep"
	RoleManager Role = "manager"
	RoleAdmin   Role = "admin"
)

// Roles lists every role, least allowed first.
var Roles = []Role{RoleRep, RoleManager, RoleAdmin}

// AtLeast reports whether r includes everything min may do. An unknown role on either side is false, so a
// mistyped requirement locks everyone out instead of letting everyone in.
func (r Role) AtLeast(min Role) bool {
	return slices.Index(Roles, r) >= slices.Index(Roles, min) && slices.Contains(Roles, r) && slices.Contains(Roles, min)
}

// Principal is the signed-in user.
type Principal struct {
	ID    int64
	Email string
	Name  string
	Role  Role
	// Epoch is the user's session epoch when this principal was loaded.
	Epoch int
	// Timezone is the IANA zone the user reads and writes dates in ("" is UTC).
	Timezone string
}

// Zone is the user's time zone; UTC when none is set or the name is not a zone.
func (p *Principal) Zone() *time.Location {
	if p == nil || p.Timezone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(p.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Errors.
var (
	ErrBadCredentials = errors.New("the email or password is wrong")
	ErrBadToken       = errors.New("the API token is missing, wrong or revoked")
)

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 10

// Service manages users and tokens.
type Service struct {
	DB    *store.DB
	Clock clock.Clock
	// PasswordCost is bcrypt's cost for new password hashes: bcrypt.DefaultCost when 0
	// (config.Config.PasswordCost). Tests lower it to bcrypt.MinCost, where thousands of sign-ins under the
	// race detector would otherwise take minutes.
	PasswordCost int

	dummyOnce sync.Once
	dummy     []byte
}

func (s *Service) cost() int {
	if s.PasswordCost == 0 {
		return bcrypt.DefaultCost
	}
	return s.PasswordCost
}

// hashPassword hashes a password with bcrypt at the service's cost.
func (s *Service) hashPassword(pw string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), s.cost())
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// HashToken is the stored form of an API token.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// RandomSecret returns n random bytes, URL-safe base64 encoded.
func RandomSecret(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("auth: no randomness: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// NormalizeEmail lower-cases and trims an address, and checks it is one.
func NormalizeEmail(email string) (string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email {
		return "", fmt.Errorf("%q is not an email address", email)
	}
	return email, nil
}

// CreateUser adds a user.
func (s *Service) CreateUser(ctx context.Context, email, name string, role Role, password string) (*store.User, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(Roles, role) {
		return nil, fmt.Errorf("role %q does not exist; use admin, manager or rep", role)
	}
	if len(password) < MinPasswordLength {
		return nil, fmt.Errorf("the password must have at least %d characters", MinPasswordLength)
	}
	hash, err := s.hashPassword(password)
	if err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	u := &store.User{Email: email, Name: name, Role: string(role), PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	err = s.DB.Users().CreateUser(ctx, u)
	if errors.Is(err, store.ErrExists) {
		return nil, fmt.Errorf("a user with the email %s exists already", email)
	}
	if err != nil {
		return nil, err
	}
	return u, nil
}

// CountUsers counts users.
func (s *Service) CountUsers(ctx context.Context) (int64, error) {
	return s.DB.Users().CountUsers(ctx)
}

// Bootstrap creates the first admin when there is no user yet. Without a password it generates one and
// returns it, so the caller can print it once.
func (s *Service) Bootstrap(ctx context.Context, email, password string) (created *store.User, generated string, err error) {
	n, err := s.CountUsers(ctx)
	if err != nil || n > 0 {
		return nil, "", err
	}
	if email == "" {
		email = "admin@localhost.localdomain"
	}
	if password == "" {
		generated = RandomSecret(18)
		password = generated
	}
	u, err := s.CreateUser(ctx, email, "Administrator", RoleAdmin, password)
	if err != nil {
		return nil, "", fmt.Errorf("create the first admin: %w", err)
	}
	return u, generated, nil
}

// dummyHash is compared against when the email is unknown, so an unknown email takes as long as a known one.
func (s *Service) dummyHash() []byte {
	s.dummyOnce.Do(func() { s.dummy, _ = bcrypt.GenerateFromPassword([]byte("not-a-real-password"), s.cost()) })
	return s.dummy
}

// CheckPassword signs a user in by email and password.
func (s *Service) CheckPassword(ctx context.Context, email, password string) (*Principal, error) {
	u, err := s.DB.UserByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		// Spend the same time as a real check, so response times do not tell which emails exist.
		_ = bcrypt.CompareHashAndPassword(s.dummyHash(), []byte(password))
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, err
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil {
		return nil, ErrBadCredentials
	}
	return principal(u), nil
}

func principal(u *store.User) *Principal {
	return &Principal{ID: u.ID, Email: u.Email, Name: u.Name, Role: Role(u.Role), Epoch: u.SessionEpoch, Timezone: u.Timezone}
}

// TokenPrefix starts every API token, so a leaked one is easy to recognise.
const TokenPrefix = "pf_"

// CreateToken makes an API token for a user and returns it; only its hash is stored.
func (s *Service) CreateToken(ctx context.Context, email, name string) (string, error) {
	u, err := s.DB.UserByEmail(ctx, email)
	if err != nil {
		return "", fmt.Errorf("create token: %w", err)
	}
	token := TokenPrefix + RandomSecret(32)
	row := &store.APIToken{UserID: u.ID, Name: name, TokenHash: HashToken(token), Prefix: token[:10], CreatedAt: s.Clock.Now()}
	if err := s.DB.Users().CreateToken(ctx, row); err != nil {
		return "", fmt.Errorf("create token for %s: %w", email, err)
	}
	return token, nil
}

// Authenticate finds the user of a bearer token.
func (s *Service) Authenticate(ctx context.Context, token string) (*Principal, error) {
	if !strings.HasPrefix(token, TokenPrefix) {
		return nil, ErrBadToken
	}
	users := s.DB.Users()
	row, err := users.ActiveToken(ctx, HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrBadToken
	}
	if err != nil {
		return nil, fmt.Errorf("check token: %w", err)
	}
	u, err := users.EnabledUser(ctx, row.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrBadToken
	}
	if err != nil {
		return nil, fmt.Errorf("check token: %w", err)
	}
	now := s.Clock.Now()
	if row.LastUsedAt == nil || now.Sub(*row.LastUsedAt) > time.Minute {
		_ = users.TouchToken(ctx, row.ID, now) // a lost touch costs only the last-used time's precision
	}
	return principal(u), nil
}
