package store

import (
	"net/http"
	"sync"

	"github.com/gorilla/sessions"
	"github.com/wader/gormstore/v2"
)

// SessionStore keeps gorilla sessions in the sessions table, behind a lock. gormstore (v2.0.3) writes its
// options and its cookie codecs' max age on every New, while other requests read them to encode and decode
// cookies: a data race as soon as two page requests overlap (the designer's panel and its test-run polling
// do). Loading a session (New) takes the lock; saving (which only reads them) shares it.
type SessionStore struct {
	mu    sync.RWMutex
	inner *gormstore.Store
	// opts are the options of new sessions (a copy gormstore does not write to).
	opts sessions.Options
}

// NewSessionStore makes the session store of db, with cookies signed by hashKey and encrypted by encKey;
// opts are the options of new sessions.
func NewSessionStore(db *DB, hashKey, encKey []byte, opts sessions.Options) *SessionStore {
	st := gormstore.NewOptions(db.gdb, gormstore.Options{SkipCreateTable: true}, hashKey, encKey)
	own := opts
	st.SessionOpts = &own
	st.MaxAge(opts.MaxAge)
	return &SessionStore{inner: st, opts: opts}
}

// NewOptions is a fresh copy of the options of new sessions.
func (st *SessionStore) NewOptions() *sessions.Options {
	opts := st.opts
	return &opts
}

// Get returns the request's session, loaded once per request.
func (st *SessionStore) Get(r *http.Request, name string) (*sessions.Session, error) {
	return sessions.GetRegistry(r).Get(st, name)
}

// New loads the session of the request's cookie, or makes a new one; the session saves through st.
func (st *SessionStore) New(r *http.Request, name string) (*sessions.Session, error) {
	st.mu.Lock()
	loaded, err := st.inner.New(r, name)
	st.mu.Unlock()
	sess := sessions.NewSession(st, name)
	if loaded != nil {
		sess.ID, sess.Values, sess.IsNew = loaded.ID, loaded.Values, loaded.IsNew
		opts := *loaded.Options
		sess.Options = &opts
	}
	return sess, err
}

// Save writes the session and its cookie.
func (st *SessionStore) Save(r *http.Request, w http.ResponseWriter, sess *sessions.Session) error {
	st.mu.RLock()
	defer st.mu.RUnlock()
	return st.inner.Save(r, w, sess)
}
