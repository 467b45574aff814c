package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// What tests and measurements need of the database beyond the repositories: seeding in bulk, counting what
// was written, a read that takes its time, and the faults of a blinking database (sessions terminated, a
// read-only or unreachable database, a SQLite file whose write lock another process holds).

// InsertRows writes rows (len(values)/len(cols) of them, values row after row) into table with one multi-row
// INSERT: the fastest way in for a generated history. Keep len(values) under the databases' parameter limits
// (some 30,000).
func (tx *Tx) InsertRows(ctx context.Context, table string, cols []string, values []any) error {
	if len(cols) == 0 || len(values)%len(cols) != 0 {
		return fmt.Errorf("insert into %s: %d values for %d columns", table, len(values), len(cols))
	}
	var q strings.Builder
	fmt.Fprintf(&q, "INSERT INTO %s (%s) VALUES ", table, strings.Join(cols, ", "))
	p := 0
	for r := range len(values) / len(cols) {
		if r > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(")
		for c := range cols {
			if c > 0 {
				q.WriteString(", ")
			}
			p++
			if tx.dialect == Postgres {
				q.WriteString("$" + strconv.Itoa(p))
			} else {
				q.WriteString("?")
			}
		}
		q.WriteString(")")
	}
	if _, err := SQLTx(tx).ExecContext(ctx, q.String(), values...); err != nil {
		return err
	}
	return nil
}

// Analyze (PostgreSQL) vacuums and analyzes the database, as autovacuum does to tables that grew by inserts:
// without it the visibility map is empty and COUNT(*) reads every heap page. SQLite has no statistics unless
// the application gathers them, and Pantryflow does not: there it does nothing.
func (db *DB) Analyze(ctx context.Context) error {
	if db.Dialect != Postgres {
		return nil
	}
	_, err := db.sqlDB.ExecContext(ctx, "VACUUM ANALYZE")
	return err
}

// CountRows counts the rows of a model's table (&store.Mail{}, &store.CRMTask{}, ...).
func (db *DB) CountRows(ctx context.Context, model any) (int64, error) {
	var n int64
	if err := db.gdb.WithContext(ctx).Model(model).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count %T: %w", model, err)
	}
	return n, nil
}

// ReadSlowly (PostgreSQL) reads the email templates in a statement that lasts d: a step's read that a
// terminated connection can hit. It returns how many templates there are, and the driver's error as it is.
func (db *DB) ReadSlowly(ctx context.Context, d time.Duration) (int64, error) {
	var n int64
	err := db.gdb.WithContext(ctx).Raw("SELECT count(*) FROM email_templates, pg_sleep(?)", d.Seconds()).Scan(&n).Error
	return n, err
}

// PostgresAdmin is a connection to a PostgreSQL server's maintenance database that acts on one database of
// it from outside: it ends its sessions, makes it read-only, or refuses connections to it.
type PostgresAdmin struct {
	db   *sql.DB
	name string
}

// OpenPostgresAdmin connects to serverURL (the server's maintenance database) to act on the database of dbURL.
func OpenPostgresAdmin(serverURL, dbURL string) (*PostgresAdmin, error) {
	u, err := url.Parse(dbURL)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("pgx", serverURL)
	if err != nil {
		return nil, err
	}
	return &PostgresAdmin{db: db, name: strings.TrimPrefix(u.Path, "/")}, nil
}

// Close closes the connection.
func (a *PostgresAdmin) Close() error { return a.db.Close() }

// TerminateSessions ends every session of the database and says how many it ended.
func (a *PostgresAdmin) TerminateSessions(ctx context.Context) (int64, error) {
	var n int64
	err := a.db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT pg_terminate_backend(pid) AS gone FROM pg_stat_activity
		WHERE datname = $1 AND pid <> pg_backend_pid()) t WHERE gone`, a.name).Scan(&n)
	return n, err
}

// AwaitQuery waits until a session of the database is running a statement that contains text (as
// pg_stat_activity shows it), and says whether one was seen before ctx ended.
func (a *PostgresAdmin) AwaitQuery(ctx context.Context, text string) (bool, error) {
	for {
		var n int
		err := a.db.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = $1 AND pid <> pg_backend_pid() AND state = 'active' AND strpos(query, $2) > 0`, a.name, text).Scan(&n)
		switch {
		case ctx.Err() != nil:
			return false, nil
		case err != nil:
			return false, err
		case n > 0:
			return true, nil
		}
		select {
		case <-ctx.Done():
			return false, nil
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// SetReadOnly makes every session opened on the database from now on refuse writes (as a standby does), or
// take them again.
func (a *PostgresAdmin) SetReadOnly(ctx context.Context, on bool) error {
	q := "ALTER DATABASE " + a.name + " RESET default_transaction_read_only"
	if on {
		q = "ALTER DATABASE " + a.name + " SET default_transaction_read_only = on"
	}
	_, err := a.db.ExecContext(ctx, q)
	return err
}

// AllowConnections lets new sessions connect to the database, or refuses them.
func (a *PostgresAdmin) AllowConnections(ctx context.Context, allow bool) error {
	_, err := a.db.ExecContext(ctx, "ALTER DATABASE "+a.name+" ALLOW_CONNECTIONS "+strconv.FormatBool(allow))
	return err
}

// SQLiteWriteLock is a connection of its own to a SQLite file that can take the file's write lock, as another
// process would: the file answers reads, but no write gets in.
type SQLiteWriteLock struct {
	db   *sql.DB
	conn *sql.Conn
}

// OpenSQLiteWriteLock opens a connection to the SQLite file at path.
func OpenSQLiteWriteLock(ctx context.Context, path string) (*SQLiteWriteLock, error) {
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		return nil, err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	return &SQLiteWriteLock{db: db, conn: conn}, nil
}

// Hold takes the write lock (BEGIN IMMEDIATE) until Release.
func (l *SQLiteWriteLock) Hold(ctx context.Context) error {
	_, err := l.conn.ExecContext(ctx, "BEGIN IMMEDIATE")
	return err
}

// Release lets the write lock go.
func (l *SQLiteWriteLock) Release(ctx context.Context) error {
	_, err := l.conn.ExecContext(ctx, "ROLLBACK")
	return err
}

// Close closes the connection.
func (l *SQLiteWriteLock) Close() error {
	_ = l.conn.Close()
	return l.db.Close()
}

// ForgetSubjects makes every execution look as if it was stored before runs had a record and keys
// (migration 00026): the columns empty, the search terms gone.
func (db *DB) ForgetSubjects(ctx context.Context) error {
	return db.Tx(ctx, func(tx *Tx) error {
		err := tx.g.WithContext(ctx).Exec("UPDATE executions SET subject_entity = '', subject_id = '', subject_label = '', business_keys = NULL").Error
		if err != nil {
			return err
		}
		return tx.g.WithContext(ctx).Exec("DELETE FROM execution_terms").Error
	})
}
