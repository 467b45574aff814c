package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// HealthProbe is the one row readiness writes to prove the database takes writes.
type HealthProbe struct {
	ID        int `gorm:"primaryKey;autoIncrement:false"`
	CheckedAt time.Time
}

// TableName implements gorm's Tabler.
func (HealthProbe) TableName() string { return "health_probes" }

// Write probe timings.
const (
	// ProbeTimeout is how long the write of a readiness probe may take before the database counts as not
	// taking writes (on SQLite, how long it waits for another writer's lock).
	ProbeTimeout = 3 * time.Second
	// probeEvery: probes closer together than this share one result.
	probeEvery = time.Second
)

// probeSQL writes the health row: the same statement on both databases.
const probeSQL = `INSERT INTO health_probes (id, checked_at) VALUES (1, CURRENT_TIMESTAMP)
ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at`

// healthCheck is the last probe's result, shared by the calls that come within probeEvery of it.
type healthCheck struct {
	mu  sync.Mutex
	at  time.Time // wall clock: the probe is about now, whatever clock the engine follows
	err error
}

// CheckWrites reports whether the database takes a write now, by writing the health row within
// ProbeTimeout. Answering a ping is not enough: a database whose disk is full, whose file was made
// read-only, or that fails over to a read-only standby still answers pings while every start fails.
//
// On SQLite the probe writes over a connection of its own, opened for it, so it sees what a new connection
// would (a file made read-only or removed, a disk full or failing, a writer that holds the lock) without
// waiting behind the engine's single connection. Calls less than a second apart share one probe, so an
// unauthenticated /readyz cannot be used to load the database.
func (db *DB) CheckWrites(ctx context.Context) error {
	h := &db.health
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.at.IsZero() && time.Since(h.at) < probeEvery {
		return h.err
	}
	ctx, cancel := context.WithTimeout(ctx, ProbeTimeout)
	defer cancel()
	var err error
	if db.Dialect == SQLite {
		err = db.probeSQLite(ctx)
	} else {
		err = db.probePostgres(ctx)
	}
	if ctx.Err() != nil && err != nil {
		err = fmt.Errorf("the database did not take a write within %s: %w", ProbeTimeout, err)
	}
	h.at, h.err = time.Now(), err
	return err
}

func (db *DB) probePostgres(ctx context.Context) error {
	var err error
	for range probeTries {
		if _, err = db.sqlDB.ExecContext(ctx, probeSQL); err == nil {
			return nil
		}
		var connectErr *pgconn.ConnectError
		if !IsInfrastructure(err) || errors.As(err, &connectErr) || ctx.Err() != nil || readOnly(err) {
			break
		}
		// A pooled connection the server closed (a restart, a failover, pg_terminate_backend) fails its next
		// statement once and is dropped; the pool may hold several. A new connection answers for the
		// database as it is now.
	}
	return fmt.Errorf("write the health row: %w", err)
}

// probeTries is how many pooled connections a probe tries before it believes the database refuses.
const probeTries = 5

func readOnly(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "25006"
}

func (db *DB) probeSQLite(ctx context.Context) error {
	q := url.Values{}
	q.Set("mode", "rw") // never create a new, empty file where the database went missing
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", ProbeTimeout.Milliseconds()))
	conn, err := sql.Open("sqlite", "file:"+db.Path+"?"+q.Encode())
	if err != nil {
		return fmt.Errorf("open the SQLite database %s for the health probe: %w", db.Path, err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, probeSQL); err != nil {
		return fmt.Errorf("write the health row of %s: %w", db.Path, err)
	}
	return nil
}

// WriteProblem says in words what a failed CheckWrites found, without the driver's text (which may name
// hosts, users and files), for an answer anyone may read; the full error belongs in the log.
func WriteProblem(err error) string {
	var pgErr *pgconn.PgError
	var sqliteErr sqliteError
	var connectErr *pgconn.ConnectError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &connectErr):
		return "the database cannot be reached"
	case errors.As(err, &pgErr):
		switch code := pgErr.Code; {
		case code == "25006":
			return "the database is read-only (a standby, or default_transaction_read_only is on)"
		case code == "57P01" || code == "57P02" || code == "57P03":
			return "the database server is shutting down or starting up"
		case strings.HasPrefix(code, "53"):
			return "the database server is out of resources (disk space, memory or connections)"
		case strings.HasPrefix(code, "08"):
			return "the connection to the database failed"
		}
		return "the database refused the write (SQLSTATE " + pgErr.Code + ")"
	case errors.As(err, &sqliteErr):
		switch sqliteErr.Code() & 0xff {
		case sqliteBusy, sqliteLocked:
			return fmt.Sprintf("the database file is locked: another writer held it for more than %s", ProbeTimeout)
		case sqliteReadOnly:
			return "the database file is read-only"
		case sqliteFull:
			return "the disk of the database is full"
		case sqliteIOErr:
			return "the disk of the database failed to read or write (disk I/O error)"
		case sqliteCantOpen:
			return "the database file cannot be opened (was it moved, or its folder's permissions changed?)"
		}
		return "the database refused the write"
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("the database did not take a write within %s", ProbeTimeout)
	case IsInfrastructure(err):
		return "the connection to the database failed"
	}
	return "the database refused the write"
}
