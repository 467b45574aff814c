package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/chromedp/chromedp"

	"github.com/kitchenpantry/pantryflow/internal/auth"
)

// signInWithPassword signs in through the form with a password of one's own.
func (h *harness) signInWithPassword(email, password string) *pageClient {
	h.t.Helper()
	c := h.session("")
	if status, _ := c.post("/login", url.Values{"email": {email}, "password": {password}}); status != http.StatusSeeOther {
		h.t.Fatalf("sign in as %s: %d", email, status)
	}
	return c
}

// canSignIn reports whether an email and password get past the sign-in form.
func (h *harness) canSignIn(email, password string) bool {
	h.t.Helper()
	status, _ := h.session("").post("/login", url.Values{"email": {email}, "password": {password}})
	return status == http.StatusSeeOther
}

// settingsUser finds a user's item on the users page (or in a fragment) by email.
func settingsUser(t *testing.T, doc *goquery.Document, email string) *goquery.Selection {
	t.Helper()
	s := doc.Find(`li.user[data-email="` + email + `"]`)
	if s.Length() != 1 {
		t.Fatalf("%d items for %s on the page", s.Length(), email)
	}
	return s
}

// squash is the text of a selection with its white space squashed.
func squash(s *goquery.Selection) string { return strings.Join(strings.Fields(s.Text()), " ") }

// settingsUserPath is the address of a user's action, read from the form on the page.
func settingsUserPath(t *testing.T, doc *goquery.Document, email, action string) string {
	t.Helper()
	id, _ := settingsUser(t, doc, email).Attr("id")
	p := "/settings/users/" + strings.TrimPrefix(id, "user-")
	if action != "" {
		p += "/" + action
	}
	if doc.Find(`form[action="`+p+`"]`).Length() != 1 {
		t.Fatalf("no form posts to %s", p)
	}
	return p
}

func TestSettingsAdminManagesUsers(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, dbURL string) {
		h := start(t, dbURL)
		admin := h.session("admin@example.com")
		status, doc := admin.get("/settings/users")
		if status != http.StatusOK || doc.Find(`.settings-nav a[aria-current="page"]`).Text() != "Users" {
			t.Fatalf("/settings/users = %d, nav %q", status, doc.Find(".settings-nav").Text())
		}
		if n := doc.Find("li.user").Length(); n != 3 {
			t.Fatalf("%d users listed, want 3", n)
		}
		if got := squash(settingsUser(t, doc, "manager@example.com").Find(".user-meta")); !strings.Contains(got, "manager") || !strings.Contains(got, "enabled") {
			t.Fatalf("the manager's item says %q", got)
		}

		// Mistakes come back inline, field by field, and nobody is added.
		status, doc = admin.htmx("POST", "/settings/users", url.Values{"email": {"not-an-email"}, "role": {"boss"}, "password": {"short"}})
		if status != http.StatusUnprocessableEntity {
			t.Fatalf("a bad add = %d, want 422", status)
		}
		for field, want := range map[string]string{"f-email": "type the person's email address", "f-role": "choose a role",
			"f-password": "at least 10 characters"} {
			if got := squash(doc.Find("#" + field).Parent().Find(".field-error")); !strings.Contains(got, want) {
				t.Errorf("the error next to %s is %q, want %q", field, got, want)
			}
		}
		if v, _ := doc.Find("#f-email").Attr("value"); v != "not-an-email" {
			t.Errorf("the email typed is gone from the form: %q", v)
		}
		if doc.Find("li.user").Length() != 3 {
			t.Fatal("a refused add changed the list")
		}

		// Added with a generated password, shown once; the name is shown as text, not markup.
		status, doc = admin.post("/settings/users", url.Values{"email": {"Nia@Example.com"}, "name": {`Nia <b onmouseover="x()">New</b>`},
			"role": {"manager"}, "password": {""}})
		if status != http.StatusOK {
			t.Fatalf("add a user = %d", status)
		}
		password := doc.Find("#new-user-password").Text()
		if len(password) != 24 {
			t.Fatalf("the generated password shown is %q", password)
		}
		nia := settingsUser(t, doc, "nia@example.com")
		if nia.Find("b").Length() != 0 || !strings.Contains(squash(nia.Find(".user-who")), `Nia <b onmouseover="x()">New</b>`) {
			t.Fatalf("the name is not escaped: %q", squash(nia))
		}
		if _, again := admin.get("/settings/users"); strings.Contains(again.Text(), password) {
			t.Fatal("the generated password is shown again on the next load")
		}
		niaSession := h.signInWithPassword("nia@example.com", password)

		// Nia, a manager, makes a token; it works on the API.
		status, doc = niaSession.post("/settings/tokens", url.Values{"name": {"zapier"}})
		token := doc.Find("#new-token").Text()
		if status != http.StatusOK || !strings.HasPrefix(token, auth.TokenPrefix) {
			t.Fatalf("nia's new token: %d %q", status, token)
		}
		h.must(http.StatusOK, token, "GET", "/api/workflows", nil, nil)

		// The role changes in place (htmx).
		if status, doc = admin.get("/settings/users"); status != http.StatusOK {
			t.Fatalf("/settings/users = %d", status)
		}
		niaPath := settingsUserPath(t, doc, "nia@example.com", "")
		status, frag := admin.htmx("POST", niaPath, url.Values{"role": {"rep"}, "name": {"Nia New"}})
		if status != http.StatusOK || frag.Find("li.user").Length() != 1 || frag.Find("h1").Length() != 0 {
			t.Fatalf("change role = %d, want the item alone", status)
		}
		if got := squash(frag.Find(".user-meta .badge").First()); got != "rep" {
			t.Fatalf("the role badge says %q after the change", got)
		}
		if !strings.Contains(squash(frag.Find(".flash")), "nia@example.com is now a rep") {
			t.Fatalf("no notice: %q", squash(frag.Selection))
		}
		if status, _ := niaSession.get("/settings/tokens"); status != http.StatusForbidden {
			t.Fatalf("nia, now a rep, opens /settings/tokens = %d, want 403", status)
		}

		// Disabled: the open session goes back to sign-in on the next page, the token gets 401.
		status, _ = admin.post(settingsUserPath(t, doc, "nia@example.com", "disable"), nil)
		if status != http.StatusSeeOther {
			t.Fatalf("disable = %d", status)
		}
		_, doc = admin.get("/settings/users")
		if got := squash(doc.Find(".flash")); !strings.Contains(got, "nia@example.com is disabled") {
			t.Fatalf("the flash after disabling says %q", got)
		}
		if got := squash(settingsUser(t, doc, "nia@example.com").Find(".user-meta")); !strings.Contains(got, "disabled") {
			t.Fatalf("nia's item says %q", got)
		}
		if status, _ := niaSession.get("/inbox"); status != http.StatusSeeOther {
			t.Fatalf("nia's session after disabling: /inbox = %d, want a redirect to sign in", status)
		}
		h.must(http.StatusUnauthorized, token, "GET", "/api/workflows", nil, nil)
		if h.canSignIn("nia@example.com", password) {
			t.Fatal("a disabled user signed in")
		}

		// Enabled again: the token works again, the old session stays ended.
		status, frag = admin.htmx("POST", settingsUserPath(t, doc, "nia@example.com", "enable"), nil)
		if status != http.StatusOK || !strings.Contains(squash(frag.Find(".user-meta")), "enabled") {
			t.Fatalf("enable = %d: %q", status, squash(frag.Selection))
		}
		h.must(http.StatusOK, token, "GET", "/api/workflows", nil, nil)
		if status, _ := niaSession.get("/inbox"); status != http.StatusSeeOther {
			t.Fatalf("nia's old session came back: %d", status)
		}

		// A reset password: the generated one is shown once on the item, the old one stops working, and
		// Nia is signed out.
		niaSession = h.signInWithPassword("nia@example.com", password)
		status, frag = admin.htmx("POST", settingsUserPath(t, doc, "nia@example.com", "password"), url.Values{"password": {""}})
		newPassword := frag.Find(".secret code").Text()
		if status != http.StatusOK || len(newPassword) != 24 || newPassword == password {
			t.Fatalf("reset = %d, password shown %q", status, newPassword)
		}
		if status, _ := niaSession.get("/inbox"); status != http.StatusSeeOther {
			t.Fatalf("nia's session after the reset: %d", status)
		}
		if h.canSignIn("nia@example.com", password) || !h.canSignIn("nia@example.com", newPassword) {
			t.Fatal("after the reset the old password works, or the new one does not")
		}
		status, frag = admin.htmx("POST", settingsUserPath(t, doc, "nia@example.com", "password"), url.Values{"password": {"short"}})
		if status != http.StatusUnprocessableEntity || !strings.Contains(squash(frag.Find(".field-error")), "at least 10 characters") {
			t.Fatalf("a short reset password = %d: %q", status, squash(frag.Selection))
		}

		// Sign out everywhere.
		niaSession = h.signInWithPassword("nia@example.com", newPassword)
		if status, _ := admin.htmx("POST", settingsUserPath(t, doc, "nia@example.com", "signout"), nil); status != http.StatusOK {
			t.Fatalf("sign out everywhere = %d", status)
		}
		if status, _ := niaSession.get("/inbox"); status != http.StatusSeeOther {
			t.Fatalf("nia's session after signing out everywhere: %d", status)
		}

		// The last admin cannot disable or demote themselves, and is told why.
		status, frag = admin.htmx("POST", settingsUserPath(t, doc, "admin@example.com", "disable"), nil)
		if status != http.StatusConflict || !strings.Contains(squash(frag.Find(".error")), "admin@example.com is the last enabled admin and cannot be disabled") {
			t.Fatalf("disabling the last admin = %d: %q", status, squash(frag.Selection))
		}
		status, doc = admin.post(settingsUserPath(t, doc, "admin@example.com", ""), url.Values{"role": {"manager"}, "name": {"Admin"}})
		if status != http.StatusConflict || !strings.Contains(squash(settingsUser(t, doc, "admin@example.com").Find(".error")), "make another user an admin first") {
			t.Fatalf("demoting the last admin = %d", status)
		}
		if status, _ := admin.get("/settings/users"); status != http.StatusOK {
			t.Fatalf("the admin lost access: %d", status)
		}
		u, err := h.srv.App.Auth.ListUsers(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range u {
			if x.Email == "admin@example.com" && (x.Role != auth.RoleAdmin || !x.Enabled()) {
				t.Fatalf("the refused changes changed the admin: %+v", x)
			}
		}

		// Managers and reps may not manage users.
		for _, email := range []string{"manager@example.com", "rep@example.com"} {
			c := h.session(email)
			if status, _ := c.get("/settings/users"); status != http.StatusForbidden {
				t.Fatalf("%s opening /settings/users = %d, want 403", email, status)
			}
			if status, _ := c.post("/settings/users", url.Values{"email": {"x@example.com"}, "role": {"admin"}, "password": {"0123456789"}}); status != http.StatusForbidden {
				t.Fatalf("%s adding a user = %d, want 403", email, status)
			}
		}
		if h.canSignIn("x@example.com", "0123456789") {
			t.Fatal("a manager added a user")
		}
	})
}

func TestSettingsTokens(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, dbURL string) {
		h := start(t, dbURL)
		manager := h.session("manager@example.com")
		status, doc := manager.get("/settings/tokens")
		if status != http.StatusOK {
			t.Fatalf("/settings/tokens = %d", status)
		}
		if nav := squash(doc.Find(".settings-nav")); strings.Contains(nav, "Users") {
			t.Fatalf("a manager's settings navigation offers %q", nav)
		}
		if doc.Find("#all-tokens").Length() != 0 {
			t.Fatal("a manager sees everyone's tokens")
		}
		if got := squash(doc.Find("#own-tokens tbody tr")); !strings.Contains(got, "test") || !strings.Contains(got, h.manager[:10]) {
			t.Fatalf("the manager's own tokens: %q", got)
		}

		status, frag := manager.htmx("POST", "/settings/tokens", url.Values{"name": {"  "}})
		if status != http.StatusUnprocessableEntity || !strings.Contains(squash(frag.Find("#create-token .field-error")), "give the token a name") {
			t.Fatalf("a token without a name = %d: %q", status, squash(frag.Selection))
		}

		status, doc = manager.post("/settings/tokens", url.Values{"name": {`CI <script>alert(1)</script>`}})
		token := doc.Find("#new-token").Text()
		if status != http.StatusOK || !strings.HasPrefix(token, auth.TokenPrefix) || len(token) != 46 {
			t.Fatalf("create a token = %d, shown %q", status, token)
		}
		if !strings.Contains(squash(doc.Find("#new-token-box .warning")), "shown only this once") {
			t.Fatal("no warning that the token is shown once")
		}
		if doc.Find("#tokens-panel script").Length() != 0 || !strings.Contains(squash(doc.Find("#own-tokens")), "CI <script>alert(1)</script>") {
			t.Fatal("the token name is not escaped")
		}
		_, again := manager.get("/settings/tokens")
		if again.Find("#new-token").Length() != 0 || strings.Contains(again.Text(), token) {
			t.Fatal("the token is shown again on the next load")
		}
		if !strings.Contains(squash(again.Find("#own-tokens")), token[:10]) {
			t.Fatal("the new token is not listed by its first characters")
		}
		h.must(http.StatusOK, token, "GET", "/api/workflows", nil, nil)

		// Revoking it (htmx) answers with the panel, and the token gets 401 from then on.
		var revoke string
		again.Find("#own-tokens tbody tr").Each(func(_ int, row *goquery.Selection) {
			if strings.Contains(squash(row), "CI <script>") {
				revoke, _ = row.Find("form").Attr("action")
			}
		})
		if revoke == "" {
			t.Fatal("no revoke button for the new token")
		}
		status, frag = manager.htmx("POST", revoke, nil)
		if status != http.StatusOK || !strings.Contains(squash(frag.Find("#tokens-panel .flash")), "is revoked") {
			t.Fatalf("revoke = %d: %q", status, squash(frag.Selection))
		}
		h.must(http.StatusUnauthorized, token, "GET", "/api/workflows", nil, nil)
		h.must(http.StatusOK, h.manager, "GET", "/api/workflows", nil, nil)

		// An admin sees everyone's tokens with their owner, and may revoke them; a manager may not revoke
		// the admin's.
		admin := h.session("admin@example.com")
		_, doc = admin.get("/settings/tokens")
		var managerRevoke, adminRevoke string
		doc.Find("#all-tokens tbody tr").Each(func(_ int, row *goquery.Selection) {
			action, _ := row.Find("form").Attr("action")
			switch owner := squash(row.Find(`td[data-label="Owner"]`)); {
			case owner == "manager@example.com" && strings.Contains(squash(row), "test"):
				managerRevoke = action
			case owner == "admin@example.com":
				adminRevoke = action
			}
		})
		if managerRevoke == "" || adminRevoke == "" {
			t.Fatalf("the admin's list of everyone's tokens: %q", squash(doc.Find("#all-tokens")))
		}
		if status, _ := manager.post(adminRevoke, nil); status != http.StatusNotFound {
			t.Fatalf("a manager revoking the admin's token = %d, want 404", status)
		}
		h.must(http.StatusOK, h.admin, "GET", "/api/workflows", nil, nil)
		if status, _ := admin.post(managerRevoke, nil); status != http.StatusSeeOther {
			t.Fatalf("the admin revoking the manager's token = %d", status)
		}
		h.must(http.StatusUnauthorized, h.manager, "GET", "/api/workflows", nil, nil)

		// Reps do not see Settings.
		rep := h.session("rep@example.com")
		if status, _ := rep.get("/settings/tokens"); status != http.StatusForbidden {
			t.Fatalf("a rep opening /settings/tokens = %d, want 403", status)
		}
		if status, _ := rep.post("/settings/tokens", url.Values{"name": {"sneaky"}}); status != http.StatusForbidden {
			t.Fatalf("a rep creating a token = %d, want 403", status)
		}
		if list, err := h.srv.App.Auth.ListAllTokens(context.Background()); err != nil || len(list) != 4 {
			t.Fatalf("%d tokens stored (%v), want the 3 of the harness and the manager's one", len(list), err)
		}
	})
}

func TestSettingsChangeOwnPassword(t *testing.T) {
	t.Parallel()
	h := start(t, storetestSQLiteURL(t))
	here := h.session("manager@example.com")
	elsewhere := h.session("manager@example.com")
	if status, _ := here.get("/settings/tokens"); status != http.StatusOK {
		t.Fatal(status)
	}
	status, frag := here.htmx("POST", "/settings/password", url.Values{"current": {"wrong"}, "new": {"a fine new password"},
		"confirm": {"a different one"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(squash(frag.Find("#password-form .field-error")), "type the same new password twice") {
		t.Fatalf("mismatched passwords = %d: %q", status, squash(frag.Selection))
	}
	status, frag = here.htmx("POST", "/settings/password", url.Values{"current": {"wrong"}, "new": {"a fine new password"},
		"confirm": {"a fine new password"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(squash(frag.Find("#password-form .field-error")), "this is not your current password") {
		t.Fatalf("a wrong current password = %d: %q", status, squash(frag.Selection))
	}
	status, frag = here.htmx("POST", "/settings/password", url.Values{"current": {"correct horse battery"}, "new": {"a fine new password"},
		"confirm": {"a fine new password"}})
	if status != http.StatusOK || !strings.Contains(squash(frag.Find(".flash")), "Your password is changed") {
		t.Fatalf("change the password = %d: %q", status, squash(frag.Selection))
	}
	if status, _ := here.get("/settings/tokens"); status != http.StatusOK {
		t.Fatalf("the session that changed the password ended: %d", status)
	}
	if status, _ := elsewhere.get("/inbox"); status != http.StatusSeeOther {
		t.Fatalf("another session of the same user goes on: %d", status)
	}
	if h.canSignIn("manager@example.com", "correct horse battery") || !h.canSignIn("manager@example.com", "a fine new password") {
		t.Fatal("after the change the old password works, or the new one does not")
	}
}

// Every user has their own settings, reached from the navigation: a rep opens Settings, sees who they are,
// and changes their own password there (the form works with and without htmx); the tokens stay managers'.
func TestARepChangesTheirPasswordFromTheirOwnSettings(t *testing.T) {
	t.Parallel()
	h := start(t, storetestSQLiteURL(t))
	rep := h.session("rep@example.com")
	_, doc := rep.get("/inbox")
	href, ok := doc.Find(`nav a:contains("Settings")`).Attr("href")
	if !ok {
		t.Fatal("a rep's navigation has no Settings")
	}
	status, doc := rep.get(href)
	if status != http.StatusOK || !strings.Contains(squash(doc.Find("#my-account")), "rep@example.com") || doc.Find("#password-form").Length() != 1 {
		t.Fatalf("a rep's Settings (%s) = %d: %q", href, status, squash(doc.Find("main")))
	}
	if doc.Find(`.settings-nav a[href="/settings/tokens"]`).Length() != 0 {
		t.Error("a rep's Settings offers the API tokens, which are managers'")
	}
	status, doc = rep.post("/settings/password", url.Values{"current": {"correct horse battery"}, "new": {"short"}, "confirm": {"short"}})
	if status != http.StatusUnprocessableEntity || doc.Find("#password-form .field-error").Length() == 0 || doc.Find("#my-account").Length() != 1 {
		t.Fatalf("a too short password = %d: %q", status, squash(doc.Find("main")))
	}
	status, doc = rep.post("/settings/password", url.Values{"current": {"correct horse battery"}, "new": {"a fine rep password"}, "confirm": {"a fine rep password"}})
	if status != http.StatusOK || !strings.Contains(squash(doc.Find("#password-form .flash")), "Your password is changed") {
		t.Fatalf("the rep's change = %d: %q", status, squash(doc.Find("main")))
	}
	if h.canSignIn("rep@example.com", "correct horse battery") || !h.canSignIn("rep@example.com", "a fine rep password") {
		t.Fatal("after the rep's change the old password works, or the new one does not")
	}
	if status, _ := rep.get("/settings/me"); status != http.StatusOK {
		t.Fatalf("the rep's own session ended with the change: %d", status)
	}
}

// An admin adds a user and makes a token in a real browser (htmx), at a desktop and a phone width; nothing
// may overflow the page sideways or cover anything else. Screenshots go to $PANTRYFLOW_SCREENSHOTS.
func TestBrowserSettingsPages(t *testing.T) {
	t.Parallel()
	for _, width := range []int{1280, 390} {
		t.Run(strconv.Itoa(width), func(t *testing.T) {
			t.Parallel()
			h := start(t, storetestSQLiteURL(t))
			var b *browser
			if width < 500 {
				b = newPhone(t, h)
			} else {
				b = newBrowser(t, h, width, 900)
			}
			b.signIn("admin@example.com")

			b.run(chromedp.Navigate(h.http.URL+"/settings/users"), chromedp.WaitVisible(chromedp.ID("add-user")))
			b.run(
				chromedp.SendKeys(chromedp.ID("f-email"), "nia@example.com"),
				chromedp.SendKeys(chromedp.ID("f-name"), "Nia New"),
				chromedp.SetValue(chromedp.ID("f-role"), "manager"),
				chromedp.Click(chromedp.CSS(`#add-user button[type="submit"]`)),
			)
			b.waitText("#users-panel .flash", "nia@example.com can now sign in as manager")
			if got := b.text("#new-user-password"); len(got) != 24 {
				t.Fatalf("the generated password shown is %q", got)
			}
			b.run(chromedp.Click(chromedp.CSS(`li[data-email="nia@example.com"] summary`)),
				chromedp.WaitVisible(chromedp.CSS(`li[data-email="nia@example.com"] .manage-grid`)))
			b.screenshot("settings-users-" + strconv.Itoa(width))
			b.looksRight("the users page")

			b.run(chromedp.Navigate(h.http.URL+"/settings/tokens"), chromedp.WaitVisible(chromedp.ID("create-token")))
			b.run(chromedp.SendKeys(chromedp.ID("f-name"), "Zapier"), chromedp.Click(chromedp.CSS(`#create-token button[type="submit"]`)))
			b.waitText("#new-token-box", "Copy it now")
			token := b.text("#new-token")
			if !strings.HasPrefix(token, auth.TokenPrefix) {
				t.Fatalf("the new token shown is %q", token)
			}
			h.must(http.StatusOK, token, "GET", "/api/workflows", nil, nil)
			b.waitText("#all-tokens", "Zapier")
			b.screenshot("settings-tokens-" + strconv.Itoa(width))
			b.looksRight("the tokens page")
		})
	}
}

// An admin who is not the last may demote or sign out themselves; the page then takes them where they may go.
func TestSettingsAdminActsOnThemselves(t *testing.T) {
	t.Parallel()
	h := start(t, storetestSQLiteURL(t))
	admin := h.session("admin@example.com")
	if status, _ := admin.get("/settings/users"); status != http.StatusOK {
		t.Fatal(status)
	}
	if status, _ := admin.post("/settings/users", url.Values{"email": {"ada@example.com"}, "role": {"admin"}, "password": {"ada's own password"}}); status != http.StatusOK {
		t.Fatalf("add a second admin = %d", status)
	}
	ada := h.signInWithPassword("ada@example.com", "ada's own password")
	_, doc := ada.get("/settings/users")
	if got := squash(settingsUser(t, doc, "ada@example.com").Find(".user-who")); !strings.Contains(got, "you") {
		t.Fatalf("ada's own item says %q", got)
	}
	if doc.Find(`form[action="`+strings.TrimSuffix(settingsUserPath(t, doc, "ada@example.com", ""), "/")+`/password"]`).Length() != 0 {
		t.Fatal("an admin is offered to reset their own password without their current one")
	}

	// Signing out everywhere includes this session (htmx is told to go to sign-in).
	status, _ := ada.htmx("POST", settingsUserPath(t, doc, "ada@example.com", "signout"), nil)
	if status != http.StatusOK {
		t.Fatalf("ada signing herself out everywhere = %d", status)
	}
	if status, _ := ada.get("/inbox"); status != http.StatusSeeOther {
		t.Fatalf("ada is still signed in after signing herself out everywhere: /inbox = %d", status)
	}

	// Demoting herself takes her to the start, where she is a manager.
	ada = h.signInWithPassword("ada@example.com", "ada's own password")
	_, doc = ada.get("/settings/users")
	status, _ = ada.post(settingsUserPath(t, doc, "ada@example.com", ""), url.Values{"role": {"manager"}, "name": {"Ada"}})
	if status != http.StatusSeeOther {
		t.Fatalf("ada demoting herself = %d", status)
	}
	if status, _ := ada.get("/settings/users"); status != http.StatusForbidden {
		t.Fatalf("ada, now a manager, opening /settings/users = %d", status)
	}
	if status, doc := ada.get("/settings/tokens"); status != http.StatusOK || !strings.Contains(squash(doc.Find(".flash")), "ada@example.com is now a manager") {
		t.Fatalf("ada's next page = %d without the notice", status)
	}
}
