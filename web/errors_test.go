package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// A request the database could not serve is a 503 that says when to come back, not a 500 that says
// something broke; errors that are the request's or a bug keep their status.
func TestErrorsOfTheDatabaseAnswer503WithRetryAfter(t *testing.T) {
	t.Parallel()
	terminated := &pgconn.PgError{Severity: "FATAL", Message: "terminating connection due to administrator command", Code: "57P01"}
	tests := []struct {
		name       string
		err        error
		status     int
		retryAfter string
		message    string
	}{
		{"a terminated connection while starting a run", fmt.Errorf("start execution: insert: %w", terminated),
			http.StatusServiceUnavailable, "5", "the database is not answering; try again in a few seconds"},
		{"a SQLite lock", workflow.Transient(workflow.ClassOther, errors.New("check token: database is locked (5) (SQLITE_BUSY)")),
			http.StatusServiceUnavailable, "5", "the database is not answering; try again in a few seconds"},
		{"a unique violation is not the database's trouble", fmt.Errorf("insert: %w", &pgconn.PgError{Code: "23505", Message: "duplicate"}),
			http.StatusInternalServerError, "", "something went wrong on our side; it has been logged, please try again"},
		{"a conflict stays a conflict", &app.Error{Kind: app.ErrConflict, Message: "the execution has already finished"},
			http.StatusConflict, "", "the execution has already finished"},
	}
	s := &Server{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			c := echo.New().NewContext(httptest.NewRequest(http.MethodPost, "/api/workflows/wf/executions", nil), rec)
			s.handleError(tt.err, c)
			var body ErrorBody
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("answer %q: %v", rec.Body.String(), err)
			}
			if rec.Code != tt.status || rec.Header().Get("Retry-After") != tt.retryAfter || body.Error != tt.message {
				t.Errorf("answer %d, Retry-After %q, %q; want %d, %q, %q", rec.Code, rec.Header().Get("Retry-After"), body.Error,
					tt.status, tt.retryAfter, tt.message)
			}
		})
	}
}
