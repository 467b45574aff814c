package ui

import (
	"crypto/sha256"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/auth"
)

const sessionName = "pantryflow_session"

// Session lifetimes: signed out after two idle hours, and after twelve hours whatever happens.
const (
	sessionIdle     = 2 * time.Hour
	sessionAbsolute = 12 * time.Hour
	// touchEvery bounds how often a busy session's last-seen time is written.
	touchEvery = 5 * time.Minute
)

// session values
const (
	keyUser    = "uid"
	keyEpoch   = "epoch"
	keyCreated = "created"
	keySeen    = "seen"
	keyFlash   = "flash"
)

// sessionStore keeps the sessions (app.SessionStore: in the database, so they are revocable).
type sessionStore interface {
	sessions.Store
	// NewOptions is a fresh copy of the options of new sessions.
	NewOptions() *sessions.Options
}

// newSessionStore keeps sessions in the database (revocable), with cookies signed and encrypted by keys
// derived from the secret.
func newSessionStore(a *app.App, secret string, secure bool) sessionStore {
	hashKey := sha256.Sum256([]byte("pantryflow session signing\x00" + secret))
	encKey := sha256.Sum256([]byte("pantryflow session encryption\x00" + secret))
	return a.SessionStore(hashKey[:], encKey[:], sessions.Options{Path: "/", MaxAge: int(sessionAbsolute.Seconds()),
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
}

// sessionUser finds the signed-in user of a page request, or nil.
func (s *Handlers) sessionUser(c echo.Context) (*auth.Principal, error) {
	sess, err := s.sessions.Get(c.Request(), sessionName)
	if err != nil || sess.IsNew {
		return nil, nil //nolint:nilerr // a broken or expired cookie means: not signed in
	}
	uid, _ := sess.Values[keyUser].(int64)
	epoch, _ := sess.Values[keyEpoch].(int)
	created, _ := sess.Values[keyCreated].(int64)
	seen, _ := sess.Values[keySeen].(int64)
	now := s.app.Clock.Now()
	if uid == 0 || now.Sub(time.Unix(created, 0)) > sessionAbsolute || now.Sub(time.Unix(seen, 0)) > sessionIdle {
		return nil, nil
	}
	p, err := s.app.Auth.SessionUser(c.Request().Context(), uid, epoch)
	if errors.Is(err, auth.ErrSessionEnded) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if now.Sub(time.Unix(seen, 0)) > touchEvery {
		sess.Values[keySeen] = now.Unix()
		if err := sess.Save(c.Request(), c.Response()); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// startSession signs a user in with a fresh session id, so a session fixed before sign-in is worthless.
func (s *Handlers) startSession(c echo.Context, p *auth.Principal) error {
	if old, err := s.sessions.Get(c.Request(), sessionName); err == nil && !old.IsNew {
		old.Options.MaxAge = -1
		_ = old.Save(c.Request(), c.Response())
	}
	sess := sessions.NewSession(s.sessions, sessionName)
	sess.Options = s.sessions.NewOptions()
	now := s.app.Clock.Now().Unix()
	sess.Values[keyUser], sess.Values[keyEpoch], sess.Values[keyCreated], sess.Values[keySeen] = p.ID, p.Epoch, now, now
	return s.sessions.Save(c.Request(), c.Response(), sess)
}

// endSession signs out: the session's row is deleted and the cookie cleared.
func (s *Handlers) endSession(c echo.Context) error {
	sess, err := s.sessions.Get(c.Request(), sessionName)
	if err != nil || sess.IsNew {
		return nil //nolint:nilerr // nothing to end
	}
	sess.Options.MaxAge = -1
	return sess.Save(c.Request(), c.Response())
}

// flash stores a one-time message for the next page.
func (s *Handlers) flash(c echo.Context, msg string) {
	sess, err := s.sessions.Get(c.Request(), sessionName)
	if err != nil || sess.IsNew {
		return
	}
	sess.Values[keyFlash] = msg
	_ = sess.Save(c.Request(), c.Response())
}

// takeFlash returns and clears the one-time message.
func (s *Handlers) takeFlash(c echo.Context) string {
	sess, err := s.sessions.Get(c.Request(), sessionName)
	if err != nil || sess.IsNew {
		return ""
	}
	msg, _ := sess.Values[keyFlash].(string)
	if msg != "" {
		delete(sess.Values, keyFlash)
		_ = sess.Save(c.Request(), c.Response())
	}
	return msg
}

// localPath keeps a redirect target on this site.
func localPath(next string) string {
	u, err := url.Parse(next)
	if err != nil || u.IsAbs() || u.Host != "" || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(next, "//") {
		return ""
	}
	return u.RequestURI()
}
