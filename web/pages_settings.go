package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/views"
)

// settingsRoutes are the Settings pages: API tokens and one's own password for managers and admins, users
// for admins.
func (s *Server) settingsRoutes() []Route {
	manager, admin := auth.RoleManager, auth.RoleAdmin
	return []Route{
		{"settings", http.MethodGet, "/settings", manager, s.settingsHome},
		{"settings.tokens", http.MethodGet, "/settings/tokens", manager, s.tokensPage},
		{"settings.tokens.create", http.MethodPost, "/settings/tokens", manager, s.createTokenForm},
		{"settings.tokens.revoke", http.MethodPost, "/settings/tokens/:id/revoke", manager, s.revokeTokenForm},
		{"settings.password", http.MethodPost, "/settings/password", manager, s.changeOwnPassword},
		{"settings.users", http.MethodGet, "/settings/users", admin, s.usersPage},
		{"settings.users.create", http.MethodPost, "/settings/users", admin, s.addUser},
		{"settings.users.update", http.MethodPost, "/settings/users/:id", admin, s.userAction(s.updateUser)},
		{"settings.users.disable", http.MethodPost, "/settings/users/:id/disable", admin, s.userAction(s.disableUser)},
		{"settings.users.enable", http.MethodPost, "/settings/users/:id/enable", admin, s.userAction(s.enableUser)},
		{"settings.users.password", http.MethodPost, "/settings/users/:id/password", admin, s.userAction(s.resetPassword)},
		{"settings.users.signout", http.MethodPost, "/settings/users/:id/signout", admin, s.userAction(s.signOutUser)},
	}
}

func (s *Server) settingsHome(c echo.Context) error {
	return c.Redirect(http.StatusSeeOther, "/settings/tokens")
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
		out[d.Path] = d.Message
	}
	return out, true
}

// --- API tokens and one's own password ---

func (s *Server) tokensPage(c echo.Context) error {
	panel, err := s.tokensPanel(c)
	if err != nil {
		return err
	}
	return s.renderTokens(c, http.StatusOK, panel, views.PasswordForm{CSRF: csrfToken(c)})
}

// tokensPanel lists the signed-in user's tokens (and everyone's, for an admin).
func (s *Server) tokensPanel(c echo.Context) (views.TokensPanel, error) {
	actor := principal(c)
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
func (s *Server) renderTokens(c echo.Context, status int, panel views.TokensPanel, pw views.PasswordForm) error {
	if isHTMX(c) {
		return render(c, status, views.TokensPanelFragment(panel))
	}
	return render(c, status, views.TokensPage(views.TokensView{Page: s.frame(c, "API tokens", "settings"), Tokens: panel, Password: pw}))
}

// createTokenForm makes a token and shows it this once; the page is rendered, not redirected to, so the token
// never sits in a session or a URL.
func (s *Server) createTokenForm(c echo.Context) error {
	name := c.FormValue("name")
	token, info, err := s.app.CreateToken(c.Request().Context(), principal(c), name)
	ferrs, invalid := fieldErrors(err)
	if err != nil && !invalid {
		return err
	}
	panel, lerr := s.tokensPanel(c)
	if lerr != nil {
		return lerr
	}
	pw := views.PasswordForm{CSRF: panel.CSRF}
	if invalid {
		panel.Name, panel.Error = name, ferrs["name"]
		return s.renderTokens(c, http.StatusUnprocessableEntity, panel, pw)
	}
	panel.NewToken, panel.NewName = token, info.Name
	return s.renderTokens(c, http.StatusOK, panel, pw)
}

func (s *Server) revokeTokenForm(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return &app.Error{Kind: app.ErrNotFound, Message: "there is no such API token among yours"}
	}
	t, err := s.app.RevokeToken(c.Request().Context(), principal(c), id)
	if err != nil {
		return err
	}
	notice := "The token “" + t.Name + "” (" + t.Prefix + "…) is revoked: requests with it are refused from now on."
	if !isHTMX(c) {
		s.flash(c, notice)
		return c.Redirect(http.StatusSeeOther, "/settings/tokens")
	}
	panel, err := s.tokensPanel(c)
	if err != nil {
		return err
	}
	panel.Notice = notice
	return render(c, http.StatusOK, views.TokensPanelFragment(panel))
}

// changeOwnPassword changes the signed-in user's password. Their other sessions end; this one goes on with a
// fresh session id and the new epoch.
func (s *Server) changeOwnPassword(c echo.Context) error {
	pc := app.PasswordChange{Current: c.FormValue("current"), New: c.FormValue("new"), Confirm: c.FormValue("confirm")}
	p, err := s.app.ChangeOwnPassword(c.Request().Context(), principal(c), pc)
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
	if isHTMX(c) {
		if p != nil {
			if err := s.startSession(c, p); err != nil {
				return err
			}
		}
		return render(c, status, views.PasswordFormFragment(form))
	}
	panel, err := s.tokensPanel(c)
	if err != nil {
		return err
	}
	// The frame is built before the session is replaced: it reads (and may clear) the old session's flash.
	frame := s.frame(c, "API tokens", "settings")
	if p != nil {
		if err := s.startSession(c, p); err != nil {
			return err
		}
	}
	return render(c, status, views.TokensPage(views.TokensView{Page: frame, Tokens: panel, Password: form}))
}

// --- users (admins) ---

func (s *Server) usersPage(c echo.Context) error {
	v, err := s.usersView(c, views.AddUserForm{Role: string(auth.RoleRep)}, nil)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.UsersPage(v))
}

// usersView lists the users; focus, when given, replaces the item of its user (an action's outcome).
func (s *Server) usersView(c echo.Context, add views.AddUserForm, focus *views.UserItem) (views.UsersView, error) {
	actor := principal(c)
	users, err := s.app.ListUsers(c.Request().Context(), actor)
	if err != nil {
		return views.UsersView{}, err
	}
	v := views.UsersView{Page: s.frame(c, "Users", "settings"), Add: add}
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

func (s *Server) addUser(c echo.Context) error {
	form := views.AddUserForm{Email: c.FormValue("email"), Name: c.FormValue("name"), Role: c.FormValue("role")}
	u, secret, err := s.app.AddUser(c.Request().Context(), principal(c), auth.NewUser{Email: form.Email, Name: form.Name,
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
	if isHTMX(c) {
		return render(c, status, views.UsersPanel(v))
	}
	return render(c, status, views.UsersPage(v))
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
func (s *Server) userAction(do func(c echo.Context, id int64) (userOutcome, error)) echo.HandlerFunc {
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
			if isHTMX(c) {
				c.Response().Header().Set(htmxRedirect, out.leave)
				return c.NoContent(http.StatusOK)
			}
			return c.Redirect(http.StatusSeeOther, out.leave)
		}
		item := views.UserItem{User: *out.user, CSRF: csrfToken(c), Self: id == principal(c).ID, Notice: out.notice, Secret: out.secret}
		switch {
		case isHTMX(c):
			return render(c, http.StatusOK, views.UserRow(item))
		case out.secret != "":
			item.Open = true
			v, err := s.usersView(c, views.AddUserForm{Role: string(auth.RoleRep)}, &item)
			if err != nil {
				return err
			}
			return render(c, http.StatusOK, views.UsersPage(v))
		}
		s.flash(c, out.notice)
		return c.Redirect(http.StatusSeeOther, "/settings/users#user-"+strconv.FormatInt(id, 10))
	}
}

// userRefused shows why an action on a user was refused on that user's item, with what was typed.
func (s *Server) userRefused(c echo.Context, id int64, cause error) error {
	var aerr *app.Error
	ferrs, invalid := fieldErrors(cause)
	conflict := errors.As(cause, &aerr) && errors.Is(aerr.Kind, app.ErrConflict)
	if !invalid && !conflict {
		return cause
	}
	u, err := s.app.GetUser(c.Request().Context(), principal(c), id)
	if err != nil {
		return err
	}
	item := views.UserItem{User: *u, CSRF: csrfToken(c), Self: id == principal(c).ID, Errors: ferrs, Open: true,
		Name: c.FormValue("name"), Role: c.FormValue("role")}
	status := http.StatusUnprocessableEntity
	if conflict {
		item.Error, status = aerr.Message, http.StatusConflict
	}
	if isHTMX(c) {
		return render(c, status, views.UserRow(item))
	}
	v, err := s.usersView(c, views.AddUserForm{Role: string(auth.RoleRep)}, &item)
	if err != nil {
		return err
	}
	return render(c, status, views.UsersPage(v))
}

func (s *Server) updateUser(c echo.Context, id int64) (userOutcome, error) {
	u, err := s.app.UpdateUser(c.Request().Context(), principal(c), id, auth.Role(c.FormValue("role")), c.FormValue("name"))
	if err != nil {
		return userOutcome{}, err
	}
	out := userOutcome{user: u, notice: "Saved: " + u.Email + " is now a " + string(u.Role) + "."}
	if id == principal(c).ID && u.Role != auth.RoleAdmin {
		out.leave = "/"
	}
	return out, nil
}

func (s *Server) disableUser(c echo.Context, id int64) (userOutcome, error) {
	u, err := s.app.SetUserEnabled(c.Request().Context(), principal(c), id, false)
	if err != nil {
		return userOutcome{}, err
	}
	return userOutcome{user: u, leave: leaveIfSelf(c, id),
		notice: u.Email + " is disabled: signed out everywhere, and their API tokens are refused until they are enabled again."}, nil
}

func (s *Server) enableUser(c echo.Context, id int64) (userOutcome, error) {
	u, err := s.app.SetUserEnabled(c.Request().Context(), principal(c), id, true)
	if err != nil {
		return userOutcome{}, err
	}
	return userOutcome{user: u, notice: u.Email + " is enabled: they can sign in again, and their API tokens work again."}, nil
}

func (s *Server) resetPassword(c echo.Context, id int64) (userOutcome, error) {
	u, secret, err := s.app.ResetPassword(c.Request().Context(), principal(c), id, c.FormValue("password"))
	if err != nil {
		return userOutcome{}, err
	}
	notice := "The password of " + u.Email + " is changed, and they are signed out everywhere."
	if secret != "" {
		notice = "The password of " + u.Email + " is reset to a generated one, and they are signed out everywhere."
	}
	return userOutcome{user: u, notice: notice, secret: secret}, nil
}

func (s *Server) signOutUser(c echo.Context, id int64) (userOutcome, error) {
	u, err := s.app.SignOutUser(c.Request().Context(), principal(c), id)
	if err != nil {
		return userOutcome{}, err
	}
	return userOutcome{user: u, leave: leaveIfSelf(c, id),
		notice: u.Email + " is signed out on every device; they sign in again with their password."}, nil
}

// leaveIfSelf sends an admin who ended their own sessions to sign in.
func leaveIfSelf(c echo.Context, id int64) string {
	if id == principal(c).ID {
		return "/login"
	}
	return ""
}
