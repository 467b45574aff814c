package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// IsInfrastructure reports whether err says the database could not do the work — the connection was lost,
// the server is shutting down or out of resources, a transaction lost a serialization race or a deadlock,
// the SQLite file is locked, full or failing — rather than that the work itself was wrong. Such an error is
// nobody's mistake and passes on its own: the same statements succeed when tried again. It is the one place
// that decides it: the engine retries a step that failed with it whatever the step's onError says, River
// retries a job that failed with it within seconds, and the API answers 503 with Retry-After for it.
//
// Errors of the caller's own context (its deadline passed, it was cancelled) are not infrastructure errors:
// the caller gave up, the database did not refuse.
func IsInfrastructure(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) {
		// No connection could be made at all — refused, unreachable, or the server said no (starting up, not
		// accepting connections, a password changed under a running server): whatever the reason, the
		// statement never ran, and it is not the statement's fault.
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return infrastructureSQLState(pgErr.Code)
	}
	var sqliteErr sqliteError
	var netErr net.Error
	var pgClientErr interface{ SafeToRetry() bool } // pgconn's connection-level errors
	switch {
	case errors.As(err, &sqliteErr):
		return infrastructureSQLite(sqliteErr.Code())
	case errors.As(err, &pgClientErr):
		return true // pgx lost the connection while sending or receiving
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone), errors.Is(err, pgconn.ErrConnClosed),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.As(err, &netErr):
		// pgx hands these on as they came from the socket. They are the database's only when they are in the
		// error's chain: call_api reports its own network failures as text, so a remote service that refuses
		// a connection never counts as our database's trouble.
		return true
	}
	// Some of the database's errors reach us only as text (an action that wrapped one with %v). The phrases
	// are the databases' own, never a network's in general, for the reason above.
	msg := strings.ToLower(err.Error())
	for _, s := range infrastructureMessages {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// sqliteError is the SQLite driver's error (github.com/glebarez/go-sqlite's *Error), by its method, so the
// store does not depend on the driver's package beyond GORM's dialector.
type sqliteError interface {
	error
	Code() int
}

// infrastructureSQLState is whether a PostgreSQL SQLSTATE is about the server, not the statement.
func infrastructureSQLState(code string) bool {
	switch code {
	case "57P01", // admin_shutdown: pg_terminate_backend, or a fast shutdown
		"57P02", // crash_shutdown: another backend crashed
		"57P03", // cannot_connect_now: the server is starting up or shutting down
		"40001", // serialization_failure
		"40P01", // deadlock_detected
		"25006", // read_only_sql_transaction: a standby after a failover, or a database set read-only
		"58030": // io_error
		return true
	}
	return strings.HasPrefix(code, "08") || // connection_exception
		strings.HasPrefix(code, "53") // insufficient_resources: disk full, out of memory, too many connections
}

// SQLite primary result codes that say the file cannot be written now.
const (
	sqliteBusy     = 5
	sqliteLocked   = 6
	sqliteReadOnly = 8
	sqliteIOErr    = 10
	sqliteFull     = 13
	sqliteCantOpen = 14
	sqliteProtocol = 15
)

func infrastructureSQLite(code int) bool {
	switch code & 0xff { // extended codes (SQLITE_IOERR_WRITE, SQLITE_BUSY_SNAPSHOT …) keep the primary code in the low byte
	case sqliteBusy, sqliteLocked, sqliteReadOnly, sqliteIOErr, sqliteFull, sqliteCantOpen, sqliteProtocol:
		return true
	}
	return false
}

var infrastructureMessages = []string{
	"(sqlstate 57p01)", "(sqlstate 57p02)", "(sqlstate 57p03)", "(sqlstate 40001)", "(sqlstate 40p01)",
	"(sqlstate 25006)", "(sqlstate 08", "(sqlstate 53", "failed to connect to `", "closed pool",
	"database is locked", "database table is locked", "disk i/o error", "database or disk is full",
	"attempt to write a readonly database",
}

// RetryStartup runs fn, a step of starting up (migrating, registering the instance, recovering runs), again
// while it fails with an infrastructure error, for up to a minute, waiting 100 ms and doubling up to 2 s: a
// connection ended or a database that restarts while Pantryflow starts delays the start instead of ending
// the process. Other errors, and the last infrastructure error after a minute, are returned.
func RetryStartup(ctx context.Context, log *slog.Logger, what string, fn func(context.Context) error) error {
	deadline := time.Now().Add(time.Minute)
	wait := 100 * time.Millisecond
	for {
		err := fn(ctx)
		if !IsInfrastructure(err) || time.Now().Add(wait).After(deadline) {
			return err
		}
		log.Warn("the database cut a start-up step short; trying it again", "step", what, "in", wait, "error", err)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}
