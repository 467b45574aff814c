package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/web/httpx"
)

// maxKeyLength is the longest Idempotency-Key accepted, in characters.
const maxKeyLength = 255

// replayedHeader marks an answer given again for a retried key.
const replayedHeader = "Idempotent-Replayed"

// creatingRoutes are the API routes that create something — a workflow or a version of one, a run, an
// event, a CRM record, a task's completion, a secret — with the status each answers on success. They accept
// an Idempotency-Key. The webhook route de-duplicates by its delivery id instead.
var creatingRoutes = map[string]int{
	"api.workflows.create":     http.StatusCreated,
	"api.workflows.update":     http.StatusOK,
	"api.workflows.start":      http.StatusAccepted,
	"api.templates.import":     http.StatusCreated,
	"api.tasks.complete":       http.StatusOK,
	"api.teams.create":         http.StatusCreated,
	"api.events.post":          http.StatusAccepted,
	"api.secrets.create":       http.StatusCreated,
	"api.mailtemplates.create": http.StatusCreated,
	"api.mailtemplates.update": http.StatusOK, // a new version, as a workflow's update
	"api.leads.create":         http.StatusCreated,
	"api.contacts.create":      http.StatusCreated,
	"api.companies.create":     http.StatusCreated,
	"api.opportunities.create": http.StatusCreated,
	"api.crm-tasks.create":     http.StatusCreated,
	"api.crm-tasks.comment":    http.StatusCreated,
	"api.batches.create":       http.StatusAccepted, // a dry run creates nothing and claims no key
	"api.workflows.migrations": http.StatusAccepted, // as a bulk action
}

// Idempotent lets a creating route take an Idempotency-Key: a retry with the key and the same request is
// answered what the first was and creates nothing; the key with another request is a 422. The use case
// claims the key in the transaction that creates the thing (app.WithIdempotency), so this only reads the
// answers recorded. A request without the header is left as it is.
func (s *Handlers) Idempotent(r httpx.Route, next echo.HandlerFunc) echo.HandlerFunc {
	status, ok := creatingRoutes[r.Name]
	if !ok {
		return next
	}
	return func(c echo.Context) error {
		values, sent := c.Request().Header[app.IdempotencyHeader]
		p := httpx.Principal(c)
		if !sent || p == nil {
			return next(c)
		}
		key, err := checkKey(values)
		if err != nil {
			return err
		}
		body, err := httpx.ReadBody(c)
		if err != nil {
			return err
		}
		req := c.Request()
		req.Body = io.NopCloser(bytes.NewReader(body))
		scope := "user:" + strconv.FormatInt(p.ID, 10)
		k := app.Idempotency{Scope: scope, Key: key, Fingerprint: fingerprint(req.Method, req.URL.RequestURI(), scope, body), Status: status}
		ctx := req.Context()
		if answer, done, err := s.app.Answered(ctx, k); err != nil || done {
			return replay(c, answer, err)
		}
		c.SetRequest(req.WithContext(app.WithIdempotency(ctx, k)))
		err = next(c)
		if err == nil {
			return nil
		}
		// Another request with the key may have committed while this one ran: this one then failed on the
		// key or on what the other created (the task is completed already). Answer what that one was.
		answer, done, aerr := s.app.Answered(ctx, k)
		var reused *app.ValidationError
		switch {
		case done:
			return replay(c, answer, nil)
		case errors.As(aerr, &reused):
			return aerr
		case errors.Is(err, app.ErrKeyInUse):
			c.Response().Header().Set("Retry-After", "1")
		}
		return err
	}
}

// replay answers what a request with the same key was answered.
func replay(c echo.Context, answer app.Answer, err error) error {
	if err != nil {
		return err
	}
	c.Response().Header().Set(replayedHeader, "true")
	return c.Blob(answer.Status, echo.MIMEApplicationJSON, answer.Body)
}

// checkKey reads the one Idempotency-Key a request may carry.
func checkKey(values []string) (string, error) {
	bad := func(msg string) error {
		return &app.ValidationError{Message: "the " + app.IdempotencyHeader + " header is wrong; nothing was done",
			Details: []app.Detail{{Path: app.IdempotencyHeader, Message: msg}}}
	}
	if len(values) != 1 {
		return "", bad(fmt.Sprintf("was sent %d times; send it once", len(values)))
	}
	key := values[0]
	switch n := utf8.RuneCountInString(key); {
	case key == "":
		return "", bad("is empty; send a new unique value, such as a UUID, for each new request")
	case !utf8.ValidString(key):
		return "", bad("is not valid UTF-8 text; use letters, digits and dashes, such as a UUID")
	case n > maxKeyLength:
		return "", bad(fmt.Sprintf("is %d characters long; at most %d are allowed (a UUID has 36)", n, maxKeyLength))
	}
	for _, r := range key {
		if unicode.IsControl(r) {
			return "", bad(fmt.Sprintf("holds the control character %U; use letters, digits and dashes, such as a UUID", r))
		}
	}
	return key, nil
}

// fingerprint is the SHA-256 of what a request asks: its method, address (with the query), the user who
// sends it and its body, each with its length first, so no two requests run together into the same bytes.
func fingerprint(method, address, scope string, body []byte) string {
	h := sha256.New()
	for _, part := range [][]byte{[]byte(method), []byte(address), []byte(scope), body} {
		_ = binary.Write(h, binary.BigEndian, uint64(len(part)))
		h.Write(part)
	}
	return hex.EncodeToString(h.Sum(nil))
}
