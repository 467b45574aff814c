package auth_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
)

// problems flattens an InvalidError to "field: message" lines, or fails the test.
func problems(t *testing.T, err error) []string {
	t.Helper()
	var invalid *auth.InvalidError
	if !errors.As(err, &invalid) {
		t.Fatalf("error = %v (%T), want an *auth.InvalidError", err, err)
	}
	var out []string
	for _, p := range invalid.Problems {
		out = append(out, p.Field+": "+p.Message)
	}
	return out
}

func (b *bundle) epoch(t *testing.T, id int64) int {
	t.Helper()
	u, err := b.db.Users().User(b.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return u.SessionEpoch
}

func TestListAndGetUsers(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		zoe := b.user(t, "zoe@example.com", auth.RoleRep)
		b.clock.Advance(time.Hour)
		amy := b.user(t, "amy@example.com", auth.RoleAdmin)
		if _, err := b.svc.DisableUser(b.ctx, zoe.ID); err != nil {
			t.Fatal(err)
		}
		users, err := b.svc.ListUsers(b.ctx)
		if err != nil {
			t.Fatalf("ListUsers: %v", err)
		}
		if len(users) != 2 || users[0].Email != "amy@example.com" || users[1].Email != "zoe@example.com" {
			t.Fatalf("ListUsers = %+v, want amy then zoe", users)
		}
		if !users[0].Enabled() || users[0].Role != auth.RoleAdmin || users[0].Name != "Some One" || !users[0].CreatedAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("amy = %+v", users[0])
		}
		if users[1].Enabled() || users[1].DisabledAt == nil || !users[1].DisabledAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("zoe = %+v, want disabled at %v", users[1], t0.Add(time.Hour))
		}
		got, err := b.svc.GetUser(b.ctx, amy.ID)
		if err != nil || got.Email != "amy@example.com" || got.ID != amy.ID {
			t.Fatalf("GetUser = %+v, %v", got, err)
		}
		if _, err := b.svc.GetUser(b.ctx, 999); !errors.Is(err, auth.ErrUserNotFound) || !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("GetUser(999) error = %v, want ErrUserNotFound", err)
		}
	})
}

func TestAddUser(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 73)
	tests := []struct {
		name         string
		in           auth.NewUser
		wantProblems []string
		wantGenerate bool
	}{
		{name: "with a password", in: auth.NewUser{Email: " New@Example.com ", Name: " Nia New ", Role: auth.RoleManager, Password: "0123456789"}},
		{name: "generated password", in: auth.NewUser{Email: "gen@example.com", Role: auth.RoleRep}, wantGenerate: true},
		{name: "everything wrong", in: auth.NewUser{Email: "nope", Name: strings.Repeat("n", 101), Role: "boss", Password: "short"},
			wantProblems: []string{
				"email: type the person's email address, like jane@example.com",
				"name: the name is too long: use at most 100 characters",
				"role: choose a role: rep, manager or admin",
				"password: the password must have at least 10 characters",
			}},
		{name: "password too long for bcrypt", in: auth.NewUser{Email: "long@example.com", Role: auth.RoleRep, Password: long},
			wantProblems: []string{"password: the password is too long: use at most 72 characters (fewer with accents or emoji)"}},
		{name: "email taken", in: auth.NewUser{Email: "TAKEN@example.com", Role: auth.RoleRep, Password: goodPassword},
			wantProblems: []string{"email: a user with the email taken@example.com exists already"}},
		{name: "email of a disabled user", in: auth.NewUser{Email: "gone@example.com", Role: auth.RoleRep, Password: goodPassword},
			wantProblems: []string{"email: a user with the email gone@example.com exists already (disabled: enable them in the list instead)"}},
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		b.user(t, "taken@example.com", auth.RoleRep)
		gone := b.user(t, "gone@example.com", auth.RoleRep)
		if _, err := b.svc.DisableUser(b.ctx, gone.ID); err != nil {
			t.Fatal(err)
		}
		for _, tt := range tests {
			before, _ := b.svc.CountUsers(b.ctx)
			u, generated, err := b.svc.AddUser(b.ctx, tt.in)
			if tt.wantProblems != nil {
				if got := problems(t, err); !slices.Equal(got, tt.wantProblems) {
					t.Errorf("%s: problems = %q, want %q", tt.name, got, tt.wantProblems)
				}
				if after, _ := b.svc.CountUsers(b.ctx); after != before {
					t.Errorf("%s: a refused AddUser stored a user", tt.name)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: AddUser: %v", tt.name, err)
			}
			email := strings.ToLower(strings.TrimSpace(tt.in.Email))
			if u.Email != email || u.Role != tt.in.Role || u.Name != strings.TrimSpace(tt.in.Name) || !u.Enabled() {
				t.Errorf("%s: AddUser = %+v", tt.name, u)
			}
			password := tt.in.Password
			if tt.wantGenerate {
				if len(generated) != 24 {
					t.Errorf("%s: generated %q, want 24 characters", tt.name, generated)
				}
				password = generated
			} else if generated != "" {
				t.Errorf("%s: generated %q although a password was given", tt.name, generated)
			}
			if p, err := b.svc.CheckPassword(b.ctx, email, password); err != nil || p.ID != u.ID {
				t.Errorf("%s: the new user cannot sign in: %+v, %v", tt.name, p, err)
			}
		}
	})
}

func TestUpdateUser(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		boss := b.user(t, "boss@example.com", auth.RoleAdmin)
		rep := b.user(t, "rep@example.com", auth.RoleRep)

		b.clock.Advance(time.Minute)
		u, err := b.svc.UpdateUser(b.ctx, rep.ID, auth.RoleManager, "  Rita Rep ")
		if err != nil {
			t.Fatalf("UpdateUser: %v", err)
		}
		if u.Role != auth.RoleManager || u.Name != "Rita Rep" {
			t.Fatalf("UpdateUser = %+v", u)
		}
		stored, err := b.db.Users().User(b.ctx, rep.ID)
		if err != nil {
			t.Fatal(err)
		}
		if stored.Role != "manager" || stored.Name != "Rita Rep" || !stored.UpdatedAt.Equal(t0.Add(time.Minute)) {
			t.Fatalf("stored %+v", stored)
		}

		_, err = b.svc.UpdateUser(b.ctx, rep.ID, "boss", "x")
		if got := problems(t, err); !slices.Equal(got, []string{"role: choose a role: rep, manager or admin"}) {
			t.Fatalf("unknown role: %q", got)
		}
		if _, err := b.svc.UpdateUser(b.ctx, 999, auth.RoleRep, ""); !errors.Is(err, auth.ErrUserNotFound) {
			t.Fatalf("UpdateUser(999) error = %v", err)
		}

		// The last enabled admin cannot demote themselves; once there is another admin they can.
		_, err = b.svc.UpdateUser(b.ctx, boss.ID, auth.RoleManager, "Boss")
		var last *auth.LastAdminError
		if !errors.As(err, &last) || err.Error() != "boss@example.com is the last enabled admin and cannot be made a manager: "+
			"make another user an admin first, so someone can still manage users" {
			t.Fatalf("demoting the last admin: %v", err)
		}
		if u, _ := b.svc.GetUser(b.ctx, boss.ID); u.Role != auth.RoleAdmin {
			t.Fatalf("the refused demotion changed the role to %s", u.Role)
		}
		if _, err := b.svc.UpdateUser(b.ctx, boss.ID, auth.RoleAdmin, "The Boss"); err != nil {
			t.Fatalf("renaming the last admin: %v", err)
		}
		// A disabled admin does not count.
		other := b.user(t, "other@example.com", auth.RoleAdmin)
		if _, err := b.svc.DisableUser(b.ctx, other.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.UpdateUser(b.ctx, boss.ID, auth.RoleRep, ""); !errors.As(err, &last) {
			t.Fatalf("demoting the last enabled admin beside a disabled one: %v", err)
		}
		if _, err := b.svc.EnableUser(b.ctx, other.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.UpdateUser(b.ctx, boss.ID, auth.RoleRep, ""); err != nil {
			t.Fatalf("demoting an admin while another is enabled: %v", err)
		}
	})
}

// Two admins demoting each other at the same moment: one must stay an admin.
func TestLastAdminGuardHoldsUnderConcurrency(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		for round := range 5 {
			a := b.user(t, fmt.Sprintf("a%d@example.com", round), auth.RoleAdmin)
			c := b.user(t, fmt.Sprintf("c%d@example.com", round), auth.RoleAdmin)
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, id := range []int64{a.ID, c.ID} {
				wg.Go(func() {
					if i == 0 {
						_, errs[i] = b.svc.UpdateUser(b.ctx, id, auth.RoleRep, "")
					} else {
						_, errs[i] = b.svc.DisableUser(b.ctx, id)
					}
				})
			}
			wg.Wait()
			var admins int64
			users, err := b.db.Users().ListUsers(b.ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range users {
				if u.Role == "admin" && u.DisabledAt == nil {
					admins++
				}
			}
			var last *auth.LastAdminError
			refused := 0
			for _, err := range errs {
				if errors.As(err, &last) {
					refused++
				} else if err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
			}
			if admins != 1 || refused != 1 {
				t.Fatalf("round %d: %d enabled admins left, %d refusals (%v); want 1 and 1", round, admins, refused, errs)
			}
			// Leave no admin behind for the next round.
			for _, id := range []int64{a.ID, c.ID} {
				u, err := b.db.Users().User(b.ctx, id)
				if err == nil {
					err = b.db.Users().SetProfile(b.ctx, id, "rep", u.Name, u.UpdatedAt)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}

func TestDisableAndEnableUser(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		boss := b.user(t, "boss@example.com", auth.RoleAdmin)
		rep := b.user(t, "rep@example.com", auth.RoleRep)
		token, err := b.svc.CreateToken(b.ctx, rep.Email, "zapier")
		if err != nil {
			t.Fatal(err)
		}
		session, err := b.svc.SessionUser(b.ctx, rep.ID, 0)
		if err != nil {
			t.Fatalf("a session before: %v", err)
		}

		b.clock.Advance(time.Hour)
		u, err := b.svc.DisableUser(b.ctx, rep.ID)
		if err != nil {
			t.Fatalf("DisableUser: %v", err)
		}
		if u.Enabled() || !u.DisabledAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("DisableUser = %+v", u)
		}
		if got := b.epoch(t, rep.ID); got != session.Epoch+1 {
			t.Fatalf("session epoch = %d, want %d", got, session.Epoch+1)
		}
		if _, err := b.svc.SessionUser(b.ctx, rep.ID, session.Epoch); !errors.Is(err, auth.ErrSessionEnded) {
			t.Fatalf("the old session after disabling: %v, want ErrSessionEnded", err)
		}
		if _, err := b.svc.Authenticate(b.ctx, token); !errors.Is(err, auth.ErrBadToken) {
			t.Fatalf("the token after disabling: %v, want ErrBadToken", err)
		}
		if _, err := b.svc.CheckPassword(b.ctx, rep.Email, goodPassword); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("signing in after disabling: %v", err)
		}
		// Disabling twice changes nothing more.
		if _, err := b.svc.DisableUser(b.ctx, rep.ID); err != nil || b.epoch(t, rep.ID) != session.Epoch+1 {
			t.Fatalf("disabling again: %v, epoch %d", err, b.epoch(t, rep.ID))
		}

		u, err = b.svc.EnableUser(b.ctx, rep.ID)
		if err != nil || !u.Enabled() {
			t.Fatalf("EnableUser = %+v, %v", u, err)
		}
		if _, err := b.svc.Authenticate(b.ctx, token); err != nil {
			t.Fatalf("the token after enabling: %v", err)
		}
		if _, err := b.svc.CheckPassword(b.ctx, rep.Email, goodPassword); err != nil {
			t.Fatalf("signing in after enabling: %v", err)
		}
		if _, err := b.svc.SessionUser(b.ctx, rep.ID, session.Epoch); !errors.Is(err, auth.ErrSessionEnded) {
			t.Fatalf("the session from before disabling came back: %v", err)
		}

		_, err = b.svc.DisableUser(b.ctx, boss.ID)
		var last *auth.LastAdminError
		if !errors.As(err, &last) || !strings.HasPrefix(err.Error(), "boss@example.com is the last enabled admin and cannot be disabled") {
			t.Fatalf("disabling the last admin: %v", err)
		}
		if u, _ := b.svc.GetUser(b.ctx, boss.ID); !u.Enabled() || b.epoch(t, boss.ID) != 0 {
			t.Fatalf("the refused disabling changed %+v", u)
		}
		for _, f := range []func() (*auth.UserInfo, error){
			func() (*auth.UserInfo, error) { return b.svc.DisableUser(b.ctx, 999) },
			func() (*auth.UserInfo, error) { return b.svc.EnableUser(b.ctx, 999) },
		} {
			if _, err := f(); !errors.Is(err, auth.ErrUserNotFound) {
				t.Fatalf("an unknown user: %v", err)
			}
		}
	})
}

func TestResetPassword(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		rep := b.user(t, "rep@example.com", auth.RoleRep)
		// Throttled after five failures.
		for range auth.FreeFailuresPerPair {
			if _, err := b.svc.SignIn(b.ctx, rep.Email, "a wrong guess", "10.0.0.1"); !errors.Is(err, auth.ErrBadCredentials) {
				t.Fatal(err)
			}
		}
		var throttled *auth.ThrottledError
		if _, err := b.svc.SignIn(b.ctx, rep.Email, goodPassword, "10.0.0.1"); !errors.As(err, &throttled) {
			t.Fatalf("after five failures: %v, want throttled", err)
		}

		generated, err := b.svc.ResetPassword(b.ctx, rep.ID, "the admin's choice")
		if err != nil || generated != "" {
			t.Fatalf("ResetPassword = %q, %v", generated, err)
		}
		if b.epoch(t, rep.ID) != 1 {
			t.Fatalf("epoch = %d after a reset, want 1", b.epoch(t, rep.ID))
		}
		if _, err := b.svc.CheckPassword(b.ctx, rep.Email, goodPassword); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("the old password after a reset: %v", err)
		}
		if _, err := b.svc.SignIn(b.ctx, rep.Email, "the admin's choice", "10.0.0.1"); err != nil {
			t.Fatalf("signing in with the new password (the failures are forgotten): %v", err)
		}

		generated, err = b.svc.ResetPassword(b.ctx, rep.ID, "")
		if err != nil || len(generated) != 24 {
			t.Fatalf("ResetPassword with a generated one = %q, %v", generated, err)
		}
		if _, err := b.svc.CheckPassword(b.ctx, rep.Email, generated); err != nil {
			t.Fatalf("signing in with the generated password: %v", err)
		}
		if _, err := b.svc.CheckPassword(b.ctx, rep.Email, "the admin's choice"); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("the previous password still works: %v", err)
		}
		if b.epoch(t, rep.ID) != 2 {
			t.Fatalf("epoch = %d after the second reset, want 2", b.epoch(t, rep.ID))
		}

		_, err = b.svc.ResetPassword(b.ctx, rep.ID, "too short")
		if got := problems(t, err); !slices.Equal(got, []string{"password: the password must have at least 10 characters"}) {
			t.Fatalf("short password: %q", got)
		}
		if _, err := b.svc.ResetPassword(b.ctx, 999, goodPassword); !errors.Is(err, auth.ErrUserNotFound) {
			t.Fatalf("an unknown user: %v", err)
		}
	})
}

func TestChangeOwnPassword(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		rep := b.user(t, "rep@example.com", auth.RoleRep)
		tests := []struct {
			name, current, next string
			want                []string
		}{
			{"wrong current password", "not my password", "a new password", []string{"current: this is not your current password"}},
			{"short new password", goodPassword, "short", []string{"new: the password must have at least 10 characters"}},
			{"same password", goodPassword, goodPassword, []string{"new: the new password is the same as the current one"}},
			{"both wrong", "nope", "", []string{"current: this is not your current password", "new: the password must have at least 10 characters"}},
		}
		for _, tt := range tests {
			_, err := b.svc.ChangeOwnPassword(b.ctx, rep.ID, tt.current, tt.next)
			if got := problems(t, err); !slices.Equal(got, tt.want) {
				t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
			}
		}
		if b.epoch(t, rep.ID) != 0 {
			t.Fatal("a refused change signed the user out")
		}
		p, err := b.svc.ChangeOwnPassword(b.ctx, rep.ID, goodPassword, "a brand new password")
		if err != nil {
			t.Fatalf("ChangeOwnPassword: %v", err)
		}
		if p.ID != rep.ID || p.Epoch != 1 {
			t.Fatalf("ChangeOwnPassword = %+v, want the user with epoch 1", p)
		}
		if _, err := b.svc.SessionUser(b.ctx, rep.ID, 0); !errors.Is(err, auth.ErrSessionEnded) {
			t.Fatalf("the other sessions go on: %v", err)
		}
		if _, err := b.svc.SessionUser(b.ctx, rep.ID, p.Epoch); err != nil {
			t.Fatalf("a session with the new epoch: %v", err)
		}
		if _, err := b.svc.CheckPassword(b.ctx, rep.Email, goodPassword); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("the old password: %v", err)
		}
		if _, err := b.svc.CheckPassword(b.ctx, rep.Email, "a brand new password"); err != nil {
			t.Fatalf("the new password: %v", err)
		}
	})
}

func TestTokensListIssueRevoke(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setup(t, db)
		boss := b.user(t, "boss@example.com", auth.RoleAdmin)
		mia := b.user(t, "mia@example.com", auth.RoleManager)
		maks := b.user(t, "max@example.com", auth.RoleManager)

		for name, want := range map[string]string{
			"   ":                   `name: give the token a name that says where it is used, like "Zapier" or "reporting script"`,
			strings.Repeat("z", 81): "name: the name is too long: use at most 80 characters",
		} {
			if _, _, err := b.svc.IssueToken(b.ctx, mia.ID, name); !slices.Equal(problems(t, err), []string{want}) {
				t.Errorf("IssueToken(%q): %v", name, err)
			}
		}
		zapier, info, err := b.svc.IssueToken(b.ctx, mia.ID, " Zapier ")
		if err != nil {
			t.Fatalf("IssueToken: %v", err)
		}
		if info.Name != "Zapier" || info.Prefix != zapier[:10] || info.Owner != "mia@example.com" || !info.CreatedAt.Equal(t0) || info.ID == 0 {
			t.Fatalf("IssueToken info = %+v", info)
		}
		b.clock.Advance(time.Minute)
		report, _, err := b.svc.IssueToken(b.ctx, mia.ID, "report")
		if err != nil {
			t.Fatal(err)
		}
		maxToken, _, err := b.svc.IssueToken(b.ctx, maks.ID, "max's")
		if err != nil {
			t.Fatal(err)
		}
		b.clock.Advance(time.Minute)
		if _, err := b.svc.Authenticate(b.ctx, zapier); err != nil {
			t.Fatal(err)
		}

		own, err := b.svc.ListTokens(b.ctx, mia.ID)
		if err != nil {
			t.Fatalf("ListTokens: %v", err)
		}
		if len(own) != 2 || own[0].Name != "report" || own[1].Name != "Zapier" {
			t.Fatalf("ListTokens = %+v, want report then Zapier", own)
		}
		if own[1].LastUsedAt == nil || !own[1].LastUsedAt.Equal(t0.Add(2*time.Minute)) || own[0].LastUsedAt != nil ||
			own[1].Owner != "mia@example.com" || own[0].Prefix != report[:10] || own[0].Revoked() {
			t.Fatalf("ListTokens rows = %+v", own)
		}
		all, err := b.svc.ListAllTokens(b.ctx)
		if err != nil || len(all) != 3 {
			t.Fatalf("ListAllTokens = %+v, %v", all, err)
		}
		if owners := []string{all[0].Owner, all[1].Owner, all[2].Owner}; !slices.Contains(owners, "max@example.com") || !slices.Contains(owners, "mia@example.com") {
			t.Fatalf("owners %q", owners)
		}

		mx := &auth.Principal{ID: maks.ID, Email: maks.Email, Role: auth.RoleManager}
		mi := &auth.Principal{ID: mia.ID, Email: mia.Email, Role: auth.RoleManager}
		admin := &auth.Principal{ID: boss.ID, Email: boss.Email, Role: auth.RoleAdmin}
		// Someone else's token is not found for a non-admin, and keeps working.
		if _, err := b.svc.RevokeToken(b.ctx, mx, own[1].ID); !errors.Is(err, auth.ErrTokenNotFound) {
			t.Fatalf("max revoking mia's token: %v", err)
		}
		if _, err := b.svc.Authenticate(b.ctx, zapier); err != nil {
			t.Fatalf("mia's token after max's attempt: %v", err)
		}
		revoked, err := b.svc.RevokeToken(b.ctx, mi, own[1].ID)
		if err != nil || !revoked.Revoked() || !revoked.RevokedAt.Equal(t0.Add(2*time.Minute)) || revoked.Name != "Zapier" {
			t.Fatalf("RevokeToken = %+v, %v", revoked, err)
		}
		if _, err := b.svc.Authenticate(b.ctx, zapier); !errors.Is(err, auth.ErrBadToken) {
			t.Fatalf("a revoked token: %v", err)
		}
		b.clock.Advance(time.Minute)
		again, err := b.svc.RevokeToken(b.ctx, mi, own[1].ID)
		if err != nil || !again.RevokedAt.Equal(t0.Add(2*time.Minute)) {
			t.Fatalf("revoking twice = %+v, %v; want the first time kept", again, err)
		}
		if _, err := b.svc.Authenticate(b.ctx, report); err != nil {
			t.Fatalf("the other token stopped working: %v", err)
		}
		// An admin may revoke anyone's.
		if _, err := b.svc.RevokeToken(b.ctx, admin, all[slices.IndexFunc(all, func(t auth.TokenInfo) bool { return t.Owner == "max@example.com" })].ID); err != nil {
			t.Fatalf("an admin revoking max's token: %v", err)
		}
		if _, err := b.svc.Authenticate(b.ctx, maxToken); !errors.Is(err, auth.ErrBadToken) {
			t.Fatalf("max's token after the admin revoked it: %v", err)
		}
		if _, err := b.svc.RevokeToken(b.ctx, admin, 999); !errors.Is(err, auth.ErrTokenNotFound) {
			t.Fatalf("an unknown token: %v", err)
		}
		if _, _, err := b.svc.IssueToken(b.ctx, 999, "x"); !errors.Is(err, auth.ErrUserNotFound) {
			t.Fatalf("a token for an unknown user: %v", err)
		}
	})
}
