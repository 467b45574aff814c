package ui

import (
	"errors"
	"math"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/internal/words"
	"github.com/kitchenpantry/pantryflow/static"
	"github.com/kitchenpantry/pantryflow/views"
	"github.com/kitchenpantry/pantryflow/web/httpx"
)

// Frame is what the layout needs for this request: the user, the CSRF token, a flash message.
func (s *Handlers) Frame(c echo.Context, title, section string) views.Page {
	p := views.Page{Title: title, Section: section, CSS: static.Stylesheets(),
		Script: static.URL("vendor/htmx.org/htmx.min.js")}
	if token, ok := c.Get("csrf").(string); ok {
		p.CSRF = token
	}
	if u := httpx.Principal(c); u != nil {
		p.User = &views.User{Name: displayName(u), Email: u.Email, Role: string(u.Role)}
		p.Zone = u.Zone()
		p.Flash = s.takeFlash(c)
	}
	return p
}

func displayName(p *auth.Principal) string {
	if p.Name != "" {
		return p.Name
	}
	return p.Email
}

func (s *Handlers) home(c echo.Context) error {
	p, err := s.sessionUser(c)
	if err != nil {
		return err
	}
	if p == nil {
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	return c.Redirect(http.StatusSeeOther, "/inbox")
}

func (s *Handlers) loginPage(c echo.Context) error {
	if p, err := s.sessionUser(c); err == nil && p != nil {
		return c.Redirect(http.StatusSeeOther, "/inbox")
	}
	return httpx.Render(c, http.StatusOK, views.LoginPage(views.Login{Page: s.Frame(c, "Sign in", ""), Next: localPath(c.QueryParam("next"))}))
}

func (s *Handlers) login(c echo.Context) error {
	email, next := c.FormValue("email"), localPath(c.FormValue("next"))
	p, err := s.app.Auth.SignIn(c.Request().Context(), email, c.FormValue("password"), c.RealIP())
	var throttled *auth.ThrottledError
	switch {
	case errors.As(err, &throttled):
		wait := throttled.Until.Sub(s.app.Clock.Now())
		c.Response().Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
		return httpx.Render(c, http.StatusTooManyRequests, views.LoginPage(views.Login{Page: s.Frame(c, "Sign in", ""),
			Email: email, Next: next, Error: throttledMessage(throttled.Scope, words.Wait(wait))}))
	case errors.Is(err, auth.ErrBadCredentials):
		return httpx.Render(c, http.StatusUnauthorized, views.LoginPage(views.Login{Page: s.Frame(c, "Sign in", ""),
			Email: email, Next: next, Error: "The email or password is wrong."}))
	case err != nil:
		return err
	}
	if err := s.startSession(c, p); err != nil {
		return err
	}
	if next == "" {
		next = "/inbox"
	}
	return c.Redirect(http.StatusSeeOther, next)
}

func (s *Handlers) logout(c echo.Context) error {
	if err := s.endSession(c); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/login")
}
