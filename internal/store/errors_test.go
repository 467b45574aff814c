package store_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

func pgErr(code string) error {
	return &pgconn.PgError{Severity: "ERROR", Message: "test", Code: code}
}

func TestIsInfrastructure(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"terminated by an administrator, classified by an action", workflow.Transient(workflow.ClassOther,
			fmt.Errorf("find email template %q: %w", "welcome", pgErr("57P01"))), true},
		{"terminated, marked permanent by an action", workflow.Permanent(workflow.ClassOther, fmt.Errorf("x: %w", pgErr("57P01"))), true},
		{"crash shutdown", pgErr("57P02"), true},
		{"cannot connect now", pgErr("57P03"), true},
		{"connection failure", pgErr("08006"), true},
		{"serialization failure", fmt.Errorf("commit: %w", pgErr("40001")), true},
		{"deadlock", pgErr("40P01"), true},
		{"disk full", pgErr("53100"), true},
		{"too many connections", pgErr("53300"), true},
		{"read-only transaction (a standby)", pgErr("25006"), true},
		{"I/O error", pgErr("58030"), true},
		{"unique violation", pgErr("23505"), false},
		{"no such table", pgErr("42P01"), false},
		{"bad input", pgErr("22P02"), false},
		{"statement cancelled", pgErr("57014"), false},
		{"bad connection", fmt.Errorf("x: %w", driver.ErrBadConn), true},
		{"connection done", fmt.Errorf("x: %w", sql.ErrConnDone), true},
		{"pgx: conn closed", fmt.Errorf("x: %w", pgconn.ErrConnClosed), true},
		{"socket: unexpected EOF", fmt.Errorf("x: %w", io.ErrUnexpectedEOF), true},
		{"socket: reset", fmt.Errorf("x: %w", &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}), true},
		{"a SQLite lock reported as text", errors.New("find user: database is locked (5) (SQLITE_BUSY)"), true},
		{"a full disk reported as text", errors.New("insert mail: database or disk is full (13)"), true},
		{"our own deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), false},
		{"our own cancel", fmt.Errorf("x: %w", context.Canceled), false},
		{"a deadline inside a connection error", fmt.Errorf("x: %w", errors.Join(io.ErrUnexpectedEOF, context.DeadlineExceeded)), false},
		{"a remote API refusing a connection (call_api's words)", workflow.Transient(workflow.ClassNetwork,
			errors.New("call_api: https://api.example.com could not be reached: dial tcp 10.0.0.1:443: connect: connection refused")), false},
		{"not found", fmt.Errorf("x: %w", store.ErrNotFound), false},
		{"a plain error", errors.New("the assignee is not a Pantryflow user"), false},
		{"nil", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := store.IsInfrastructure(tt.err); got != tt.want {
				t.Errorf("IsInfrastructure(%v) = %t, want %t", tt.err, got, tt.want)
			}
		})
	}
}

// The errors the databases really give when they cannot work, and when the work is wrong.
func TestIsInfrastructureOnRealErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		db := storetest.SQLite(t)
		holder, err := sql.Open("sqlite", "file:"+db.Path+"?_pragma=busy_timeout(0)")
		if err != nil {
			t.Fatal(err)
		}
		defer holder.Close()
		conn, err := holder.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
			t.Fatal(err)
		}
		other, err := sql.Open("sqlite", "file:"+db.Path+"?_pragma=busy_timeout(0)")
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		_, busy := other.ExecContext(ctx, "INSERT INTO health_probes (id, checked_at) VALUES (7, CURRENT_TIMESTAMP)")
		if busy == nil || !store.IsInfrastructure(busy) {
			t.Errorf("a write while another connection holds the lock: %v; want an infrastructure error", busy)
		}
		if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
			t.Fatal(err)
		}
		dup := store.GormOf(db).Exec("INSERT INTO health_probes (id, checked_at) VALUES (1, CURRENT_TIMESTAMP), (1, CURRENT_TIMESTAMP)").Error
		if dup == nil || store.IsInfrastructure(dup) {
			t.Errorf("a duplicate key: %v; want an error that is not the infrastructure's", dup)
		}
		if err := store.GormOf(db).Exec("SELECT * FROM no_such_table").Error; err == nil || store.IsInfrastructure(err) {
			t.Errorf("a missing table: %v; want an error that is not the infrastructure's", err)
		}
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		db := storetest.Postgres(t)
		conn, err := store.SQLOf(db).Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var pid int
		if err := conn.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
			t.Fatal(err)
		}
		if _, err := store.SQLOf(db).ExecContext(ctx, "SELECT pg_terminate_backend($1)", pid); err != nil {
			t.Fatal(err)
		}
		// The server closes the connection once the backend has gone; the next statement on it fails.
		var terminated error
		for range 50 {
			if _, terminated = conn.ExecContext(ctx, "SELECT 1"); terminated != nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if terminated == nil || !store.IsInfrastructure(terminated) {
			t.Errorf("a statement on a terminated connection: %v; want an infrastructure error", terminated)
		}
		_, refused := store.Open(ctx, "postgres://nobody@127.0.0.1:1/x?connect_timeout=5", storetest.Quiet())
		if refused == nil || !store.IsInfrastructure(refused) {
			t.Errorf("connecting where nothing listens: %v; want an infrastructure error", refused)
		}
		dup := store.GormOf(db).Exec("INSERT INTO health_probes (id, checked_at) VALUES (1, now()), (1, now())").Error
		if dup == nil || store.IsInfrastructure(dup) {
			t.Errorf("a duplicate key: %v; want an error that is not the infrastructure's", dup)
		}
	})
}

// A start-up step is tried again while the database cuts it short, and not when the step itself is wrong.
func TestRetryStartupTriesAgainOnlyForTheDatabase(t *testing.T) {
	t.Parallel()
	calls := 0
	err := store.RetryStartup(context.Background(), slog.New(slog.DiscardHandler), "migrate", func(context.Context) error {
		if calls++; calls < 3 {
			return fmt.Errorf("apply migrations: %w", pgErr("57P01"))
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("after %d calls: %v; want success on the third", calls, err)
	}
	calls = 0
	wrong := errors.New("migration 00019 is broken")
	err = store.RetryStartup(context.Background(), slog.New(slog.DiscardHandler), "migrate", func(context.Context) error {
		calls++
		return wrong
	})
	if !errors.Is(err, wrong) || calls != 1 {
		t.Fatalf("after %d calls: %v; want the step's own error at once", calls, err)
	}
}
