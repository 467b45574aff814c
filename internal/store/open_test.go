package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
)

// A SQLite path that cannot be a database file is refused at start-up in words that name the setting, not
// with SQLite's "out of memory (14)".
func TestOpenSQLiteExplainsABadPath(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		want []string
	}{
		{"a directory", dir, []string{"PANTRYFLOW_DATABASE_URL: " + dir + " is a directory; give the path of a database file, like sqlite://./data/pantryflow.db"}},
		{"a folder that cannot be made", filepath.Join(file, "data", "pantryflow.db"),
			[]string{"PANTRYFLOW_DATABASE_URL: the folder " + filepath.Join(file, "data") + " for the database", "cannot be created", "not a directory"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db, err := store.Open(context.Background(), "sqlite://"+tt.path, storetest.Quiet())
			if err == nil {
				_ = db.Close()
				t.Fatalf("Open(%s) succeeded", tt.path)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Open(%s) = %q, want it to contain %q", tt.path, err, w)
				}
			}
		})
	}
}
