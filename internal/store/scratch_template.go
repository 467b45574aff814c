package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kitchenpantry/pantryflow/migrations"
)

// MigratedTemplate is the name of a PostgreSQL database on the server at serverURL that holds the schema
// of these migrations, made once (by migrating a scratch database and renaming it) and kept for the next
// runs: its name carries a hash of the migrations, so a changed migration gets a template of its own.
// ScratchFrom copies it, which is much faster than migrating each new database.
func MigratedTemplate(ctx context.Context, serverURL string, log *slog.Logger) (string, error) {
	sum, err := MigrationsHash()
	if err != nil {
		return "", err
	}
	name := "pantryflow_template_" + sum[:16]
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return "", fmt.Errorf("connect to the PostgreSQL server: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	buildURL, drop, err := Scratch(ctx, serverURL, "template_build", true)
	if err != nil {
		return "", err
	}
	db, err := Open(ctx, buildURL, log)
	if err != nil {
		drop()
		return "", err
	}
	err = db.Migrate(ctx, log)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	build := strings.TrimPrefix(mustPath(buildURL), "/")
	if err == nil {
		_, err = conn.Exec(ctx, fmt.Sprintf("ALTER DATABASE %s RENAME TO %s", build, name))
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // another test binary made it first
			err = nil
		}
	}
	_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+build+" WITH (FORCE)")
	if err != nil {
		return "", fmt.Errorf("make the migrated template: %w", err)
	}
	return name, nil
}

// ScratchFrom is Scratch on PostgreSQL with the new database copied from template (see MigratedTemplate).
func ScratchFrom(ctx context.Context, serverURL, purpose, template string) (dbURL string, drop func(), err error) {
	return createDatabase(ctx, serverURL, purpose, template, false)
}

// createDatabase makes a database with a name of its own on the PostgreSQL server at serverURL, empty or a
// copy of template, and returns its URL and the function that drops it (which does nothing when keep is set).
func createDatabase(ctx context.Context, serverURL, purpose, template string, keep bool) (dbURL string, drop func(), err error) {
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
	create := "CREATE DATABASE " + name
	if template != "" {
		create += " TEMPLATE " + template
	}
	for try := 0; ; try++ {
		_, err = conn.Exec(ctx, create)
		var pgErr *pgconn.PgError
		// 55006: the template is being accessed, for a moment, by another CREATE DATABASE's check.
		if err == nil || template == "" || !errors.As(err, &pgErr) || pgErr.Code != "55006" || try == 50 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
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

func mustPath(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return ""
	}
	return u.Path
}

// MigrationsHash is a hash of every migration file, PostgreSQL's and SQLite's, and of River's version.
func MigrationsHash() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := migrations.FS.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		_, _ = io.WriteString(h, path+"\x00")
		_, err = io.Copy(h, f)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("read the migrations: %w", err)
	}
	// River's own migrations come with its module's version.
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == "github.com/riverqueue/river" {
				_, _ = io.WriteString(h, dep.Path+"@"+dep.Version)
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
