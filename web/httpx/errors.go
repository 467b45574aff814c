package httpx

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// ErrorBody is every API error: a sentence for people, and the fields it is about.
type ErrorBody struct {
	Error   string       `json:"error"`
	Details []app.Detail `json:"details,omitempty"`
}

// ErrorResponse maps an error to its status code and body. Anything unexpected is a 500 whose details stay in
// the log.
func ErrorResponse(err error) (int, ErrorBody) {
	var (
		verr *app.ValidationError
		aerr *app.Error
		derr *workflow.DecodeError
		herr *echo.HTTPError
	)
	switch {
	case errors.As(err, &verr):
		return http.StatusUnprocessableEntity, ErrorBody{Error: verr.Message, Details: verr.Details}
	case app.IsUnavailable(err):
		// The database blinked (a lost connection, a failover, a lock): nothing was done, and the same request
		// will work in a moment. Retry-After says when (the error handler sets it).
		return http.StatusServiceUnavailable, ErrorBody{Error: databaseUnavailable}
	case errors.As(err, &aerr):
		code := http.StatusInternalServerError
		switch {
		case errors.Is(aerr.Kind, app.ErrNotFound):
			code = http.StatusNotFound
		case errors.Is(aerr.Kind, app.ErrConflict):
			code = http.StatusConflict
		case errors.Is(aerr.Kind, app.ErrForbidden):
			code = http.StatusForbidden
		case errors.Is(aerr.Kind, app.ErrInvalid):
			code = http.StatusBadRequest
		case errors.Is(aerr.Kind, app.ErrUnauthorized):
			code = http.StatusUnauthorized
		}
		return code, ErrorBody{Error: aerr.Message, Details: aerr.Details}
	case errors.As(err, &derr):
		body := ErrorBody{Error: derr.Error()}
		if derr.Path != "" {
			body.Details = []app.Detail{{Path: derr.Path, Message: derr.Message}}
		}
		return http.StatusBadRequest, body
	case errors.As(err, &herr):
		msg, ok := herr.Message.(string)
		if !ok || msg == "" {
			msg = http.StatusText(herr.Code)
		}
		switch herr.Code {
		case http.StatusRequestEntityTooLarge:
			msg = "the request body is larger than the limit of 1 MiB"
		case http.StatusNotFound:
			msg = "there is nothing at this address"
		case http.StatusMethodNotAllowed:
			msg = "this address does not accept " + "that method"
		}
		return herr.Code, ErrorBody{Error: msg}
	}
	return http.StatusInternalServerError, ErrorBody{Error: "something went wrong on our side; it has been logged, please try again"}
}

// databaseUnavailable is the answer to a request the database could not serve; RetryAfterSeconds is when
// to try again.
const (
	databaseUnavailable = "the database is not answering; try again in a few seconds"
	RetryAfterSeconds   = "5"
)

// WantsJSON tells a page's script (the designer's fetch calls: JSON in, JSON out) from a browser
// navigating, so its errors (a role check's 403 too) come back as JSON it can read.
func WantsJSON(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get(echo.HeaderContentType), echo.MIMEApplicationJSON) ||
		strings.HasPrefix(r.Header.Get(echo.HeaderAccept), echo.MIMEApplicationJSON)
}

// LogFailure logs a request that failed: a 5xx as an error, anything else as a warning.
func LogFailure(log *slog.Logger, c echo.Context, code int, err error) {
	level := slog.LevelWarn
	if code >= 500 {
		level = slog.LevelError
	}
	log.Log(c.Request().Context(), level, "request failed", "method", c.Request().Method, "path", c.Path(),
		"status", code, "error", err)
}
