package store

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Scratch makes an empty database for a measurement or a chaos run: a new database on the PostgreSQL server
// at serverURL, or, when serverURL is empty or a sqlite URL, a file in a new temporary folder. drop removes it
// again unless keep is set.
func Scratch(ctx context.Context, serverURL, purpose string, keep bool) (dbURL string, drop func(), err error) {
	if serverURL == "" || strings.HasPrefix(serverURL, "sqlite") {
		dir, err := os.MkdirTemp("", "pantryflow-"+purpose+"-")
		if err != nil {
			return "", nil, err
		}
		return "sqlite://" + filepath.Join(dir, purpose+".db"), func() {
			if !keep {
				_ = os.RemoveAll(dir)
			}
		}, nil
	}
	return createDatabase(ctx, serverURL, purpose, "", keep)
}

// TerminateConnections ends every other connection to the PostgreSQL database at dbURL, as an administrator's
// pg_terminate_backend or a failover would, and says how many it ended.
func TerminateConnections(ctx context.Context, dbURL string) (int, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	var n int
	err = conn.QueryRow(ctx, `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&n)
	return n, err
}
