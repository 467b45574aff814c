package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

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
	u, err := url.Parse(serverURL)
	if err != nil {
		return "", nil, fmt.Errorf("the PostgreSQL URL cannot be read: %w", err)
	}
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return "", nil, fmt.Errorf("connect to the PostgreSQL server at %s: %w", u.Host, err)
	}
	defer conn.Close(ctx)
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	name := fmt.Sprintf("pantryflow_%s_%d_%s", purpose, time.Now().UnixNano(), hex.EncodeToString(suffix))
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, fmt.Errorf("create database %s: %w", name, err)
	}
	u.Path = "/" + name
	return u.String(), func() {
		if keep {
			return
		}
		c, err := pgx.Connect(context.Background(), serverURL)
		if err == nil {
			_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			_ = c.Close(context.Background())
		}
	}, nil
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
