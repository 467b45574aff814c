package ui

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/views"
	"github.com/kitchenpantry/pantryflow/web/httpx"
)

// SettingsRoutes are the Settings pages: API tokens and one's own password for managers and admins, users
// for admins.
func (s *Handlers) SettingsRoutes() []httpx.Route {
	rep, manager, admin := auth.RoleRep, auth.RoleManager, auth.RoleAdmin
	return []httpx.Route{
		httpx.GET("settings", "/settings", rep, s.settingsHome),
		httpx.GET("settings.me", "/settings/me", rep, s.accountPage),
		httpx.GET("settings.tokens", "/settings/tokens", manager, s.tokensPage),
		httpx.POST("settings.tokens.create", "/settings/tokens", manager, s.createTokenForm),
		httpx.POST("settings.tokens.revoke", "/settings/tokens/:id/revoke", manager, s.revokeTokenForm),
		httpx.POST("settings.password", "/settings/password", rep, s.changeOwnPassword),
		httpx.POST("settings.preferences", "/settings/preferences", rep, s.savePreferences),
		httpx.GET("settings.users", "/settings/users", admin, s.usersPage),
		httpx.GET("settings.audit", "/settings/audit", admin, s.auditPage),
		httpx.POST("settings.users.create", "/settings/users", admin, s.addUser),
		httpx.POST("settings.users.update", "/settings/users/:id", admin, s.userAction(s.updateUser)),
		httpx.POST("settings.users.disable", "/settings/users/:id/disable", admin, s.userAction(s.disableUser)),
		httpx.POST("settings.users.enable", "/settings/users/:id/enable", admin, s.userAction(s.enableUser)),
		httpx.POST("settings.users.password", "/settings/users/:id/password", admin, s.userAction(s.resetPassword)),
		httpx.POST("settings.users.signout", "/settings/users/:id/signout", admin, s.userAction(s.signOutUser)),
	}
}

func (s *Handlers) settingsHome(c echo.Context) error {
	return c.Redirect(http.StatusSeeOther, "/settings/me")
}

// accountPage is every user's own settings: who they are, their time zone, mails and time away, and their
// password.
func (s *Handlers) accountPage(c echo.Context) error {
	prefs, err := s.prefsForm(c)
	if err != nil {
		return err
	}
	return httpx.Render(c, http.StatusOK, views.AccountPage(views.AccountView{Page: s.Frame(c, "My account", "settings"),
		Password: views.PasswordForm{CSRF: csrfToken(c)}, Prefs: prefs}))
}

func (s *Handlers) prefsForm(c echo.Context) (views.PrefsForm, error) {
	ctx, actor := c.Request().Context(), httpx.Principal(c)
	m, err := s.app.GetMySettings(ctx, actor)
	if err != nil {
		return views.PrefsForm{}, err
	}
	people, err := s.app.PeopleEmails(ctx, actor)
	if err != nil {
		return views.PrefsForm{}, err
	}
	f := views.PrefsForm{CSRF: csrfToken(c), Timezone: m.Timezone, Notify: m.Notify, People: people, Manager: m.Manager}
	if o := m.OutOfOffice; o != nil {
		f.AwayFrom, f.AwayTo, f.Away = o.From.Format(time.DateOnly), o.To.Format(time.DateOnly), o.Delegate
	}
	return f, nil
}

// savePreferences stores the preferences form; what is wrong is marked on the form, and nothing is stored.
func (s *Handlers) savePreferences(c echo.Context) error {
	ctx, actor := c.Request().Context(), httpx.Principal(c)
	in := app.MySettings{Timezone: c.FormValue("timezone"), Notify: c.FormValue("notify")}
	from, to, delegate := c.FormValue("awayFrom"), c.FormValue("awayTo"), c.FormValue("delegate")
	errs := views.FieldErrors{}
	if delegate != "" || from != "" || to != "" {
		o := &app.OutOfOffice{Delegate: delegate}
		var err error
		if o.From, err = time.Parse(time.DateOnly, from); err != nil {
			errs["outOfOffice"] = "Give the first day you are away."
		}
		if o.To, err = time.Parse(time.DateOnly, to); err != nil {
			errs["outOfOffice.to"] = "Give the day you are back."
		}
		in.OutOfOffice = o
	}
	if len(errs) == 0 {
		_, err := s.app.PutMySettings(ctx, actor, in)
		if ferrs, ok := fieldErrors(err); ok {
			errs = ferrs
		} else if err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		prefs, err := s.prefsForm(c)
		if err != nil {
			return err
		}
		prefs.Timezone, prefs.Notify, prefs.AwayFrom, prefs.AwayTo, prefs.Away, prefs.Errors = in.Timezone, in.Notify, from, to, delegate, errs
		return httpx.Render(c, http.StatusUnprocessableEntity, views.AccountPage(views.AccountView{Page: s.Frame(c, "My account", "settings"),
			Password: views.PasswordForm{CSRF: csrfToken(c)}, Prefs: prefs}))
	}
	s.flash(c, "Your settings are saved.")
	return c.Redirect(http.StatusSeeOther, "/settings/me")
}

func csrfToken(c echo.Context) string {
	token, _ := c.Get("csrf").(string)
	return token
}

// fieldErrors are a validation error's details by field, for the form that caused them.
func fieldErrors(err error) (views.FieldErrors, bool) {
	var verr *app.ValidationError
	if !errors.As(err, &verr) {
		return nil, false
	}
	out := views.FieldErrors{}
	for _, d := range verr.Details {
		if prev, ok := out[d.Path]; ok {
			out[d.Path] = prev + " " + d.Message // several problems of one field, all said
			continue
		}
		out[d.Path] = d.Message
	}
	return out, true
}

// --- API tokens and one's own password ---

func (s *Handlers) tokensPage(c echo.Context) error {
	panel, err := s.tokensPanel(c)
	if err != nil {
		return err
	}
	return s.renderTokens(c, http.StatusOK, panel)
}

// tokensPanel lists the signed-in user's tokens (and everyone's, for an admin).
func (s *Handlers) tokensPanel(c echo.Context) (views.TokensPanel, error) {
	actor := httpx.Principal(c)
	tokens, err := s.app.ListTokens(c.Request().Context(), actor)
	if err != nil {
		return views.TokensPanel{}, err
	}
	api := s.app.BaseURL
	if api == "" {
		api = c.Scheme() + "://" + c.Request().Host
	}
	return views.TokensPanel{CSRF: csrfToken(c), Own: tokens.Own, All: tokens.All, IsAdmin: actor.Role == auth.RoleAdmin,
		APIURL: api + "/api/workflows"}, nil
}

// renderTokens answers htmx with the panel, a browser without it with the whole page.
func (s *Handlers) renderTokens(c echo.Context, status int, panel views.TokensPanel) error {
	if httpx.IsHTMX(c) {
		return httpx.Render(c, status, views.TokensPanelFragment(panel))
	}
	return httpx.Render(c, status, views.TokensPage(views.TokensView{Page: s.Frame(c, "API tokens", "settings"), Tokens: panel}))
}

// createTokenForm makes a token and shows it this once; the page is rendered, not redirected to, so the token
// never sits in a session or a URL.
func (s *Handlers) createTokenForm(c echo.Context) error {
	name := c.FormValue("name")
	token, info, err := s.app.CreateToken(c.Request().Context(), httpx.Principal(c), name)
	ferrs, invalid := fieldErrors(err)
	if err != nil && !invalid {
		return err
	}
	panel, lerr := s.tokensPanel(c)
	if lerr != nil {
		return lerr
	}
	if invalid {
		panel.Name, panel.Error = name, ferrs["name"]
		return s.renderTokens(c, http.StatusUnprocessableEntity, panel)
	}
	panel.NewToken, panel.NewName = token, info.Name
	return s.renderTokens(c, http.StatusOK, panel)
}

func (s *Handlers) revokeTokenForm(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return &app.Error{Kind: app.ErrNotFound, Message: "there is no such API token among yours"}
	}
	t, err := s.app.RevokeToken(c.Request().Context(), httpx.Principal(c), id)
	if err != nil {
		return err
	}
	notice := "The token “" + t.Name + "” (" + t.Prefix + "…) is revoked: requests with it are refused from now on."
	if !httpx.IsHTMX(c) {
		s.flash(c, notice)
		return c.Redirect(http.StatusSeeOther, "/settings/tokens")
	}
	panel, err := s.tokensPanel(c)
	if err != nil {
		return err
	}
	panel.Notice = notice
	return httpx.Render(c, http.StatusOK, views.TokensPanelFragment(panel))
}

// changeOwnPassword changes the signed-in user's password. Their other sessions end; this one goes on with a
// fresh session id and the new epoch.
func (s *Handlers) changeOwnPassword(c echo.Context) error {
	pc := app.PasswordChange{Current: c.FormValue("current"), New: c.FormValue("new"), Confirm: c.FormValue("confirm")}
	p, err := s.app.ChangeOwnPassword(c.Request().Context(), httpx.Principal(c), pc)
	form := views.PasswordForm{CSRF: csrfToken(c)}
	ferrs, invalid := fieldErrors(err)
	status := http.StatusOK
	switch {
	case invalid:
		form.Errors, status = ferrs, http.StatusUnprocessableEntity
	case err != nil:
		return err
	default:
		form.Notice = "Your password is changed. Your other sessions are signed out; this one goes on."
	}
	if httpx.IsHTMX(c) {
		if p != nil {
			if err := s.startSession(c, p); err != nil {
				return err
			}
		}
		return httpx.Render(c, status, views.PasswordFormFragment(form))
	}
	// The frame is built before the session is replaced: it reads (and may clear) the old session's flash.
	frame := s.Frame(c, "My account", "settings")
	if p != nil {
		if err := s.startSession(c, p); err != nil {
			return err
		}
	}
	return httpx.Render(c, status, views.AccountPage(views.AccountView{Page: frame, Password: form}))
}

// --- users (admins) ---

func (s *Handlers) usersPage(c echo.Context) error {
	v, err := s.usersView(c, views.AddUserForm{Role: string(auth.RoleRep)}, nil)
	if err != nil {
		return err
	}
	return httpx.Render(c, http.StatusOK, views.UsersPage(v))
}

// usersView lists the users; focus, when given, replaces the item of its user (an action's outcome).
func (s *Handlers) usersView(c echo.Context, add views.AddUserForm, focus *views.UserItem) (views.UsersView, error) {
	actor := httpx.Principal(c)
	users, err := s.app.ListUsers(c.Request().Context(), actor)
	if err != nil {
		return views.UsersView{}, err
	}
	v := views.UsersView{Page: s.Frame(c, "Users", "settings"), Add: add}
	v.Add.CSRF = v.CSRF
	for _, u := range users {
		it := views.UserItem{User: u, CSRF: v.CSRF, Self: u.ID == actor.ID}
		if focus != nil && focus.User.ID == u.ID {
			it = *focus
		}
		v.Users = append(v.Users, it)
	}
	return v, nil
}

func (s *Handlers) addUser(c echo.Context) error {
	form := views.AddUserForm{Email: c.FormValue("email"), Name: c.FormValue("name"), Role: c.FormValue("role")}
	u, secret, err := s.app.AddUser(c.Request().Context(), httpx.Principal(c), auth.NewUser{Email: form.Email, Name: form.Name,
		Role: auth.Role(form.Role), Password: c.FormValue("password")})
	status := http.StatusOK
	if ferrs, invalid := fieldErrors(err); invalid {
		form.Errors, status = ferrs, http.StatusUnprocessableEntity
	} else if err != nil {
		return err
	} else {
		form = views.AddUserForm{Role: form.Role, Added: u, Secret: secret}
	}
	v, err := s.usersView(c, form, nil)
	if err != nil {
		return err
	}
	if httpx.IsHTMX(c) {
		return httpx.Render(c, status, views.UsersPanel(v))
	}
	return httpx.Render(c, status, views.UsersPage(v))
}

// userOutcome is what an action on one user did: the user afterwards, what to tell, a password to show once.
type userOutcome struct {
	user   *auth.UserInfo
	notice string
	secret string
	// leave is where the admin goes instead of the list when the action was on themselves: "/login" when it
	// ended their session, "/" when they are no longer an admin.
	leave string
}

// userAction runs an action on the user in the path and shows its outcome on that user's item: in place for
// htmx, otherwise on the page (a generated password) or after a redirect. Refusals show on the item too.
func (s *Handlers) userAction(do func(c echo.Context, id int64) (userOutcome, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := strconv.ParseInt(c.Param("id"), 10, 64)
		if err != nil {
			return &app.Error{Kind: app.ErrNotFound, Message: "there is no such user"}
		}
		out, err := do(c, id)
		if err != nil {
			return s.userRefused(c, id, err)
		}
		if out.leave != "" {
			if out.leave == "/login" {
				if err := s.endSession(c); err != nil {
					return err
				}
			} else {
				s.flash(c, out.notice)
			}
			if httpx.IsHTMX(c) {
				c.Response().Header().Set(httpx.HTMXRedirect, out.leave)
				return c.NoContent(http.StatusOK)
			}
			return c.Redirect(http.StatusSeeOther, out.leave)
		}
		item := views.UserItem{User: *out.user, CSRF: csrfToken(c), Self: id == httpx.Principal(c).ID, Notice: out.notice, Secret: out.secret}
		switch {
		case httpx.IsHTMX(c):
			return httpx.Render(c, http.StatusOK, views.UserRow(item))
		case out.secret != "":
			item.Open = true
			v, err := s.usersView(c, views.AddUserForm{Role: string(auth.RoleRep)}, &item)
			if err != nil {
				return err
			}
			return httpx.Render(c, http.StatusOK, views.UsersPage(v))
		}
		s.flash(c, out.notice)
		return c.Redirect(http.StatusSeeOther, "/settings/users#user-"+strconv.FormatInt(id, 10))
	}
}

// userRefused shows why an action on a user was refused on that user's item, with what was typed.
func (s *Handlers) userRefused(c echo.Context, id int64, cause error) error {
	var aerr *app.Error
	ferrs, invalid := fieldErrors(cause)
	conflict := errors.As(cause, &aerr) && errors.Is(aerr.Kind, app.ErrConflict)
	if !invalid && !conflict {
		return cause
	}
	u, err := s.app.GetUser(c.Request().Context(), httpx.Principal(c), id)
	if err != nil {
		return err
	}
	item := views.UserItem{User: *u, CSRF: csrfToken(c), Self: id == httpx.Principal(c).ID, Errors: ferrs, Open: true,
		Name: c.FormValue("name"), Role: c.FormValue("role")}
	status := http.StatusUnprocessableEntity
	if conflict {
		item.Error, status = aerr.Message, http.StatusConflict
	}
	if httpx.IsHTMX(c) {
		return httpx.Render(c, status, views.UserRow(item))
	}
	v, err := s.usersView(c, views.AddUserForm{Role: string(auth.RoleRep)}, &item)
	if err != nil {
		return err
	}
	return httpx.Render(c, status, views.UsersPage(v))
}

func (s *Handlers) updateUser(c echo.Context, id int64) (userOutcome, error) {
	u, err := s.app.UpdateUser(c.Request().Context(), httpx.Principal(c), id, auth.Role(c.FormValue("role")), c.FormValue("name"))
	if err != nil {
		return userOutcome{}, err
	}
	out := userOutcome{user: u, notice: "Saved: " + u.Email + " is now a " + string(u.Role) + "."}
	if id == httpx.Principal(c).ID && u.Role != auth.RoleAdmin {
		out.leave = "/"
	}
	return out, nil
}

func (s *Handlers) disableUser(c echo.Context, id int64) (userOutcome, error) {
	u, err := s.app.SetUserEnabled(c.Request().Context(), httpx.Principal(c), id, false)
	if err != nil {
		return userOutcome{}, err
	}
	return userOutcome{user: u, leave: leaveIfSelf(c, id),
		notice: u.Email + " is disabled: signed out everywhere, and their API tokens are refused until they are enabled again."}, nil
}

func (s *Handlers) enableUser(c echo.Context, id int64) (userOutcome, error) {
	u, err := s.app.SetUserEnabled(c.Request().Context(), httpx.Principal(c), id, true)
	if err != nil {
		return userOutcome{}, err
	}
	return userOutcome{user: u, notice: u.Email + " is enabled: they can sign in again, and their API tokens work again."}, nil
}

func (s *Handlers) resetPassword(c echo.Context, id int64) (userOutcome, error) {
	u, secret, err := s.app.ResetPassword(c.Request().Context(), httpx.Principal(c), id, c.FormValue("password"))
	if err != nil {
		return userOutcome{}, err
	}
	notice := "The password of " + u.Email + " is changed, and they are signed out everywhere."
	if secret != "" {
		notice = "The password of " + u.Email + " is reset to a generated one, and they are signed out everywhere."
	}
	return userOutcome{user: u, notice: notice, secret: secret}, nil
}

func (s *Handlers) signOutUser(c echo.Context, id int64) (userOutcome, error) {
	u, err := s.app.SignOutUser(c.Request().Context(), httpx.Principal(c), id)
	if err != nil {
		return userOutcome{}, err
	}
	return userOutcome{user: u, leave: leaveIfSelf(c, id),
		notice: u.Email + " is signed out on every device; they sign in again with their password."}, nil
}

// leaveIfSelf sends an admin who ended their own sessions to sign in.
func leaveIfSelf(c echo.Context, id int64) string {
	if id == httpx.Principal(c).ID {
		return "/login"
	}
	return ""
}

// auditPage is the audit log, filtered by what, who and since when (admins).
func (s *Handlers) auditPage(c echo.Context) error {
	p, err := httpx.Paging(c)
	if err != nil {
		return err
	}
	f := app.AuditFilter{Entity: c.QueryParam("entity"), Actor: strings.TrimSpace(c.QueryParam("actor")), Page: p.Normalize()}
	if f.Since, err = httpx.TimeParam(c, "since"); err != nil {
		return err
	}
	items, total, err := s.app.Audit(c.Request().Context(), httpx.Principal(c), f)
	if err != nil {
		return err
	}
	q := url.Values{}
	for _, k := range []string{"entity", "actor", "since"} {
		if v := c.QueryParam(k); v != "" {
			q.Set(k, v)
		}
	}
	return httpx.Render(c, http.StatusOK, views.AuditPage(views.AuditView{Page: s.Frame(c, "Audit log", "settings"),
		Items: items, Total: total, Filter: f, Query: q}))
}
