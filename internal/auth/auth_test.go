package auth_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/internal/clock"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
)

var t0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

const goodPassword = "correct horse battery"

type bundle struct {
	ctx   context.Context
	db    *store.DB
	clock *clock.Fake
	svc   *auth.Service
}

func setup(t *testing.T, db *store.DB) *bundle {
	t.Helper()
	clk := clock.NewFake(t0)
	return &bundle{ctx: context.Background(), db: db, clock: clk, svc: &auth.Service{DB: db, Clock: clk, PasswordCost: bcrypt.MinCost}}
}

func (b *bundle) user(t *testing.T, email string, role auth.Role) *store.User {
	t.Helper()
	u, err := b.svc.CreateUser(b.ctx, email, "Some One", role, goodPassword)
	if err != nil {
		t.Fatalf("CreateUser(%s): %v", email, err)
	}
	return u
}

func TestRoleAtLeast(t *testing.T) {
	t.Parallel()
	tests := []struct {
		r, min auth.Role
		want   bool
	}{
		{auth.RoleRep, auth.RoleRep, true},
		{auth.RoleRep, auth.RoleManager, false},
		{auth.RoleRep, auth.RoleAdmin, false},
		{auth.RoleManager, auth.RoleRep, true},
		{auth.RoleManager, auth.RoleManager, true},
		{auth.RoleManager, auth.RoleAdmin, false},
		{auth.RoleAdmin, auth.RoleRep, true},
		{auth.RoleAdmin, auth.RoleManager, true},
		{auth.RoleAdmin, auth.RoleAdmin, true},
		// An unknown role grants nothing, and an unknown requirement is met by no one (fail closed).
		{"boss", auth.RoleRep, false},
		{"", auth.RoleRep, false},
		{"ADMIN", auth.RoleRep, false},
		{auth.RoleAdmin, "boss", false},
		{auth.RoleRep, "", false},
	}
	for _, tt := range tests {
		if got := tt.r.AtLeast(tt.min); got != tt.want {
			t.Errorf("Role(%q).AtLeast(%q) = %t, want %t", tt.r, tt.min, got, tt.want)
		}
	}
}

func TestCreateUser(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, email string
		role        auth.Role
		password    string
		wantEmail   string
		wantErr     string
	}{
		{name: "normalises the email", email: "  Jane.Doe@Example.COM ", role: auth.RoleManager, password: goodPassword, wantEmail: "jane.doe@example.com"},
		{name: "shortest password", email: "rep@example.com", role: auth.RoleRep, password: "0123456789", wantEmail: "rep@example.com"},
		{name: "not an email", email: "jane", role: auth.RoleRep, password: goodPassword, wantErr: `"jane" is not an email address`},
		{name: "display name form", email: "Jane <jane@example.com>", role: auth.RoleRep, password: goodPassword, wantErr: `"jane <jane@example.com>" is not an email address`},
		{name: "empty email", email: "", role: auth.RoleRep, password: goodPassword, wantErr: `"" is not an email address`},
		{name: "unknown role", email: "jane@example.com", role: "boss", password: goodPassword, wantErr: `role "boss" does not exist; use admin, manager or rep`},
		{name: "short password", email: "jane@example.com", role: auth.RoleRep, password: "012345678", wantErr: "the password must have at least 10 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, storetest.SQLite(t))
			u, err := b.svc.CreateUser(b.ctx, tt.email, "Jane", tt.role, tt.password)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("CreateUser error = %v, want %q", err, tt.wantErr)
				}
				if n, _ := b.svc.CountUsers(b.ctx); n != 0 {
					t.Fatalf("a refused CreateUser stored %d users", n)
				}
				return
			}
			if err != nil {
				t.Fatalf("CreateUser: %v", err)
			}
			if u.ID == 0 || u.Email != tt.wantEmail || u.Role != string(tt.role) || u.Name != "Jane" || !u.CreatedAt.Equal(t0) {
				t.Fatalf("CreateUser = %+v, want %s (%s) created at %v", u, tt.wantEmail, tt.role, t0)
			}
			stored, err := b.db.Users().User(b.ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if stored.PasswordHash == tt.password || bcrypt.CompareHashAndPassword([]byte(stored.PasswordHash), []byte(tt.password)) != nil {
				t.Fatalf("stored password hash %q is not a bcrypt hash of the password", stored.PasswordHash)
			}
		})
	}
}

func TestCreateUserRefusesADuplicateEmail(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		b.user(t, "jane@example.com", auth.RoleRep)
		_, err := b.svc.CreateUser(b.ctx, "JANE@example.com", "Other Jane", auth.RoleAdmin, goodPassword)
		if want := "a user with the email jane@example.com exists already"; err == nil || err.Error() != want {
			t.Fatalf("duplicate CreateUser error = %v, want %q", err, want)
		}
		if n, err := b.svc.CountUsers(b.ctx); err != nil || n != 1 {
			t.Fatalf("CountUsers = %d, %v; want 1", n, err)
		}
	})
}

func TestCheckPassword(t *testing.T) {
	t.Parallel()
	b := setup(t, storetest.SQLite(t))
	jane := b.user(t, "jane@example.com", auth.RoleManager)
	gone := b.user(t, "gone@example.com", auth.RoleAdmin)
	if err := b.db.Users().Disable(b.ctx, gone.ID, t0); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, email, password string
		wantErr               error
	}{
		{"right password", "jane@example.com", goodPassword, nil},
		{"email in another case", "Jane@Example.com", goodPassword, nil},
		{"wrong password", "jane@example.com", "correct horse battery!", auth.ErrBadCredentials},
		{"empty password", "jane@example.com", "", auth.ErrBadCredentials},
		{"unknown email", "nobody@example.com", goodPassword, auth.ErrBadCredentials},
		{"disabled user", "gone@example.com", goodPassword, auth.ErrBadCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := b.svc.CheckPassword(b.ctx, tt.email, tt.password)
			if tt.wantErr != nil {
				if err != tt.wantErr || p != nil {
					t.Fatalf("CheckPassword = %+v, %v; want %v", p, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("CheckPassword: %v", err)
			}
			want := auth.Principal{ID: jane.ID, Email: "jane@example.com", Name: "Some One", Role: auth.RoleManager}
			if *p != want {
				t.Fatalf("CheckPassword = %+v, want %+v", *p, want)
			}
		})
	}
}

func TestTokens(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		jane := b.user(t, "jane@example.com", auth.RoleRep)
		token, err := b.svc.CreateToken(b.ctx, "Jane@Example.com", "zapier")
		if err != nil {
			t.Fatalf("CreateToken: %v", err)
		}
		if !strings.HasPrefix(token, "pf_") || len(token) != 3+43 {
			t.Fatalf("CreateToken = %q, want pf_ and 43 random characters", token)
		}

		rows, err := b.db.Users().ListTokens(b.ctx, store.TokenFilter{})
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(token))
		if len(rows) != 1 {
			t.Fatalf("api_tokens has %d rows, want 1", len(rows))
		}
		row, err := b.db.Users().TokenWithHash(b.ctx, hex.EncodeToString(sum[:]))
		if err != nil || row.ID != rows[0].ID {
			t.Fatalf("the stored token is not found by the SHA-256 of the token: %v", err)
		}
		if row.TokenHash != hex.EncodeToString(sum[:]) || row.TokenHash != auth.HashToken(token) {
			t.Fatalf("stored hash %q is not the SHA-256 of the token", row.TokenHash)
		}
		if row.UserID != jane.ID || row.Name != "zapier" || row.Prefix != token[:10] || !row.CreatedAt.Equal(t0) || row.LastUsedAt != nil {
			t.Fatalf("stored token row = %+v", row)
		}
		for col, v := range map[string]string{"token_hash": row.TokenHash, "name": row.Name, "prefix": row.Prefix} {
			if strings.Contains(v, token[10:]) {
				t.Fatalf("column %s holds the secret part of the token: %q", col, v)
			}
		}

		used := b.clock.Advance(time.Hour)
		p, err := b.svc.Authenticate(b.ctx, token)
		if err != nil {
			t.Fatalf("Authenticate: %v", err)
		}
		want := auth.Principal{ID: jane.ID, Email: "jane@example.com", Name: "Some One", Role: auth.RoleRep}
		if *p != want {
			t.Fatalf("Authenticate = %+v, want %+v", *p, want)
		}
		after, err := b.db.Users().TokenWithHash(b.ctx, row.TokenHash)
		if err != nil {
			t.Fatal(err)
		}
		if after.LastUsedAt == nil || !after.LastUsedAt.Equal(used) {
			t.Fatalf("last_used_at = %v, want %v", after.LastUsedAt, used)
		}

		for _, bad := range []string{"", "pf_", "pf_wrong", token[3:], token + "x", strings.ToUpper(token)} {
			if p, err := b.svc.Authenticate(b.ctx, bad); err != auth.ErrBadToken {
				t.Errorf("Authenticate(%q) = %+v, %v; want ErrBadToken", bad, p, err)
			}
		}

		if _, err := b.svc.CreateToken(b.ctx, "nobody@example.com", "x"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("CreateToken for an unknown user: %v, want ErrNotFound", err)
		}
	})
}

func TestTokenOfARevokedTokenOrDisabledUser(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		disable func(t *testing.T, b *bundle, userID int64, token string)
	}{
		{"revoked token", func(t *testing.T, b *bundle, _ int64, token string) {
			row, err := b.db.Users().TokenWithHash(b.ctx, auth.HashToken(token))
			if err == nil {
				err = b.db.Users().RevokeToken(b.ctx, row.ID, 0, t0)
			}
			if err != nil {
				t.Fatal(err)
			}
		}},
		{"disabled user", func(t *testing.T, b *bundle, userID int64, _ string) {
			if err := b.db.Users().Disable(b.ctx, userID, t0); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, storetest.SQLite(t))
			u := b.user(t, "jane@example.com", auth.RoleAdmin)
			token, err := b.svc.CreateToken(b.ctx, u.Email, "cli")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := b.svc.Authenticate(b.ctx, token); err != nil {
				t.Fatalf("Authenticate before: %v", err)
			}
			tt.disable(t, b, u.ID, token)
			if p, err := b.svc.Authenticate(b.ctx, token); err != auth.ErrBadToken {
				t.Fatalf("Authenticate after: %+v, %v; want ErrBadToken", p, err)
			}
		})
	}
}

func TestBootstrap(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, email, password string
		wantEmail             string
		wantGenerated         bool
		wantErr               string
	}{
		{name: "generated password", wantEmail: "admin@localhost.localdomain", wantGenerated: true},
		{name: "given email and password", email: "Boss@Example.com", password: goodPassword, wantEmail: "boss@example.com"},
		{name: "given email only", email: "boss@example.com", wantEmail: "boss@example.com", wantGenerated: true},
		{name: "short password", email: "boss@example.com", password: "short", wantErr: "create the first admin: the password must have at least 10 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, storetest.SQLite(t))
			u, generated, err := b.svc.Bootstrap(b.ctx, tt.email, tt.password)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr || u != nil || generated != "" {
					t.Fatalf("Bootstrap = %v, %q, %v; want error %q", u, generated, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Bootstrap: %v", err)
			}
			if u == nil || u.Email != tt.wantEmail || u.Role != string(auth.RoleAdmin) {
				t.Fatalf("Bootstrap created %+v, want admin %s", u, tt.wantEmail)
			}
			password := tt.password
			if tt.wantGenerated {
				if len(generated) != 24 {
					t.Fatalf("generated password %q, want 24 characters", generated)
				}
				password = generated
			} else if generated != "" {
				t.Fatalf("Bootstrap generated %q although a password was given", generated)
			}
			if _, err := b.svc.CheckPassword(b.ctx, tt.wantEmail, password); err != nil {
				t.Fatalf("the first admin cannot sign in: %v", err)
			}

			again, generated2, err := b.svc.Bootstrap(b.ctx, "other@example.com", "")
			if err != nil || again != nil || generated2 != "" {
				t.Fatalf("second Bootstrap = %v, %q, %v; want nothing", again, generated2, err)
			}
			if n, _ := b.svc.CountUsers(b.ctx); n != 1 {
				t.Fatalf("after two Bootstraps there are %d users, want 1", n)
			}
		})
	}
}

func TestBootstrapDoesNothingWhenAUserExists(t *testing.T) {
	t.Parallel()
	b := setup(t, storetest.SQLite(t))
	b.user(t, "rep@example.com", auth.RoleRep)
	u, generated, err := b.svc.Bootstrap(b.ctx, "", "")
	if err != nil || u != nil || generated != "" {
		t.Fatalf("Bootstrap = %v, %q, %v; want nothing", u, generated, err)
	}
	if _, err := b.db.UserByEmail(b.ctx, "admin@localhost.localdomain"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an admin was created anyway: %v", err)
	}
}
