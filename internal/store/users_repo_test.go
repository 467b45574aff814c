package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/store"
)

var _ = exercise("users/accounts", func(t *testing.T, db *store.DB) {
	ctx := context.Background()
	users := db.Users()
	r := seedRuns(t, db)
	if err := users.CreateUser(ctx, &store.User{Email: r.ann.Email, Role: "rep", CreatedAt: t0, UpdatedAt: t0}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("a second user with ann's email: %v, want ErrExists", err)
	}
	if n, err := users.CountUsers(ctx); err != nil || n != 3 {
		t.Fatalf("CountUsers = %d, %v", n, err)
	}
	list, err := users.ListUsers(ctx)
	if err != nil || len(list) != 3 || list[0].Email != r.ann.Email || list[2].Email != r.max.Email {
		t.Fatalf("ListUsers = %+v, %v; want by email", list, err)
	}
	if u, err := users.UserWithEmail(ctx, r.bob.Email); err != nil || u.ID != r.bob.ID {
		t.Fatalf("UserWithEmail = %+v, %v", u, err)
	}
	if _, err := users.UserWithEmail(ctx, "nobody@example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("UserWithEmail of nobody: %v, want ErrNotFound", err)
	}

	// Disabling ends the sessions (the epoch moves on) and hides the user from the enabled reads.
	must(t, users.Disable(ctx, r.bob.ID, t0.Add(time.Hour)))
	bob, err := users.User(ctx, r.bob.ID)
	if err != nil || bob.DisabledAt == nil || bob.SessionEpoch != r.bob.SessionEpoch+1 {
		t.Fatalf("after Disable: %+v, %v", bob, err)
	}
	if _, err := users.EnabledUser(ctx, r.bob.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("EnabledUser of a disabled user: %v, want ErrNotFound", err)
	}
	if emails, err := users.EnabledEmails(ctx); err != nil || !slices.Equal(emails, []string{r.ann.Email, r.max.Email}) {
		t.Fatalf("EnabledEmails = %v, %v", emails, err)
	}
	people, err := users.People(ctx, 10)
	if err != nil || len(people) != 2 || people[0].Email != r.max.Email || people[1].Name != "Ann" {
		t.Fatalf("People = %+v, %v; want by name (max has none) then email", people, err)
	}
	must(t, users.Enable(ctx, r.bob.ID, t0.Add(2*time.Hour)))
	if bob, err = users.EnabledUser(ctx, r.bob.ID); err != nil || bob.SessionEpoch != r.bob.SessionEpoch+1 {
		t.Fatalf("after Enable: %+v, %v; want enabled, sessions still ended", bob, err)
	}
	must(t, users.SetPassword(ctx, r.bob.ID, "hash-2", t0.Add(3*time.Hour)))
	must(t, users.SignOutEverywhere(ctx, r.bob.ID))
	must(t, users.SetProfile(ctx, r.bob.ID, "manager", "Robert", t0.Add(4*time.Hour)))
	if bob, err = users.User(ctx, r.bob.ID); err != nil || bob.PasswordHash != "hash-2" || bob.SessionEpoch != r.bob.SessionEpoch+3 ||
		bob.Role != "manager" || bob.Name != "Robert" || !bob.UpdatedAt.Equal(t0.Add(4*time.Hour)) {
		t.Fatalf("after the changes: %+v, %v", bob, err)
	}

	if got, err := users.EmailsByID(ctx, []int64{r.ann.ID, 999}); err != nil || len(got) != 1 || got[r.ann.ID] != r.ann.Email {
		t.Fatalf("EmailsByID = %v, %v", got, err)
	}
	if got, err := users.NamesByEmail(ctx, []string{r.ann.Email, r.bob.Email}); err != nil || len(got) != 2 || got[r.bob.Email] != "Robert" {
		t.Fatalf("NamesByEmail = %v, %v", got, err)
	}
	if got, err := users.ByEmails(ctx, []string{r.max.Email}); err != nil || len(got) != 1 || got[0].ID != r.max.ID || got[0].Role != "" {
		t.Fatalf("ByEmails = %+v, %v; want id, email and disabled_at only", got, err)
	}
	must(t, db.Tx(ctx, func(tx *store.Tx) error {
		admins, err := tx.Users().LockEnabledAdmins(ctx, "manager")
		if err == nil && !slices.Equal(admins, []int64{r.bob.ID, r.max.ID}) && !slices.Equal(admins, []int64{r.max.ID, r.bob.ID}) {
			t.Errorf("LockEnabledAdmins = %v", admins)
		}
		return err
	}))
})

var _ = exercise("users/api-tokens", func(t *testing.T, db *store.DB) {
	ctx := context.Background()
	users := db.Users()
	r := seedRuns(t, db)
	for i, tok := range []*store.APIToken{
		{UserID: r.ann.ID, Name: "zapier", TokenHash: "h-1", Prefix: "pf_1", CreatedAt: t0},
		{UserID: r.bob.ID, Name: "script", TokenHash: "h-2", Prefix: "pf_2", CreatedAt: t0.Add(time.Hour)},
	} {
		if err := users.CreateToken(ctx, tok); err != nil || tok.ID == 0 {
			t.Fatalf("CreateToken #%d: %v", i, err)
		}
	}
	ann, err := users.ActiveToken(ctx, "h-1")
	if err != nil || ann.UserID != r.ann.ID || ann.LastUsedAt != nil {
		t.Fatalf("ActiveToken = %+v, %v", ann, err)
	}
	must(t, users.TouchToken(ctx, ann.ID, t0.Add(time.Minute)))
	all, err := users.ListTokens(ctx, store.TokenFilter{})
	if err != nil || len(all) != 2 || all[0].Owner != r.bob.Email || all[1].LastUsedAt == nil || !all[1].LastUsedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("ListTokens = %+v, %v; want newest first with owners", all, err)
	}
	// Bob cannot revoke ann's token; an admin (no owner) can.
	must(t, users.RevokeToken(ctx, ann.ID, r.bob.ID, t0.Add(time.Hour)))
	if _, err := users.ActiveToken(ctx, "h-1"); err != nil {
		t.Fatalf("someone else revoked ann's token: %v", err)
	}
	must(t, users.RevokeToken(ctx, ann.ID, 0, t0.Add(time.Hour)))
	if _, err := users.ActiveToken(ctx, "h-1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("ActiveToken of a revoked token: %v, want ErrNotFound", err)
	}
	revoked, err := users.TokenWithHash(ctx, "h-1")
	if err != nil || revoked.RevokedAt == nil {
		t.Fatalf("TokenWithHash = %+v, %v", revoked, err)
	}
	mine, err := users.ListTokens(ctx, store.TokenFilter{ID: ann.ID, UserID: r.ann.ID})
	if err != nil || len(mine) != 1 || mine[0].RevokedAt == nil {
		t.Fatalf("ListTokens of ann's token = %+v, %v", mine, err)
	}
	if theirs, err := users.ListTokens(ctx, store.TokenFilter{ID: ann.ID, UserID: r.bob.ID}); err != nil || len(theirs) != 0 {
		t.Fatalf("ann's token among bob's = %+v, %v", theirs, err)
	}
})

var _ = exercise("users/sign-in-attempts", func(t *testing.T, db *store.DB) {
	ctx := context.Background()
	users := db.Users()
	attempt := func(email, ip string, at time.Time, ok bool) {
		t.Helper()
		a := &store.LoginAttempt{Email: email, IP: ip, CreatedAt: at}
		must(t, db.Tx(ctx, func(tx *store.Tx) error {
			if err := tx.Users().LockSignIns(ctx, email, ip); err != nil {
				return err
			}
			return tx.Users().RecordSignIn(ctx, a)
		}))
		if ok {
			must(t, users.SignInSucceeded(ctx, a))
		}
	}
	attempt("ann@example.com", "10.0.0.1", t0, false)
	attempt("ann@example.com", "10.0.0.1", t0.Add(time.Minute), true)
	attempt("ann@example.com", "10.0.0.1", t0.Add(2*time.Minute), false)
	attempt("ann@example.com", "10.0.0.2", t0.Add(3*time.Minute), false)
	attempt("bob@example.com", "10.0.0.2", t0.Add(4*time.Minute), false)

	last, ok, err := users.LastSignIn(ctx, "ann@example.com", "10.0.0.1")
	if err != nil || !ok || !last.Equal(t0.Add(time.Minute)) {
		t.Fatalf("LastSignIn = %v, %v, %v", last, ok, err)
	}
	if _, ok, err := users.LastSignIn(ctx, "ann@example.com", "10.0.0.2"); err != nil || ok {
		t.Fatalf("LastSignIn from an address never signed in from = %v, %v", ok, err)
	}
	times := func(ts []time.Time, err error) []time.Duration {
		t.Helper()
		must(t, err)
		var out []time.Duration
		for _, at := range ts {
			out = append(out, at.Sub(t0))
		}
		return out
	}
	if got := times(users.FailedSignIns(ctx, "ann@example.com", "10.0.0.1", t0.Add(-time.Hour))); !slices.Equal(got, []time.Duration{0, 2 * time.Minute}) {
		t.Fatalf("failures of ann from .1 = %v", got)
	}
	if got := times(users.FailedSignIns(ctx, "", "10.0.0.2", t0)); !slices.Equal(got, []time.Duration{3 * time.Minute, 4 * time.Minute}) {
		t.Fatalf("failures from .2 = %v", got)
	}
	if got := times(users.FailedSignInsFromNewAddresses(ctx, "ann@example.com", t0.Add(-time.Hour))); !slices.Equal(got, []time.Duration{3 * time.Minute}) {
		t.Fatalf("failures of ann from new addresses = %v", got)
	}
	must(t, users.ForgetFailedSignIns(ctx, "ann@example.com"))
	if got := times(users.FailedSignIns(ctx, "ann@example.com", "10.0.0.1", t0.Add(-time.Hour))); len(got) != 0 {
		t.Fatalf("failures of ann after forgetting = %v", got)
	}
	if _, ok, err := users.LastSignIn(ctx, "ann@example.com", "10.0.0.1"); err != nil || !ok {
		t.Fatalf("forgetting the failures forgot the success too: %v, %v", ok, err)
	}
})
