package examples

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The files are copies of the shared design examples; when those are beside the repository (as on the
// development machines), the copies must not have drifted.
func TestCopiesMatchTheSharedExamples(t *testing.T) {
	t.Parallel()
	shared := filepath.Join("..", "..", "shared", "examples")
	if _, err := os.Stat(shared); err != nil {
		t.Skipf("no shared examples beside the repository (%v)", err)
	}
	n := 0
	err := fs.WalkDir(FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(path, "gallery/") {
			return err // the gallery is ours, not the design's
		}
		n++
		ours, err := fs.ReadFile(FS, path)
		if err != nil {
			return err
		}
		theirs, err := os.ReadFile(filepath.Join(shared, path))
		if err != nil {
			return err
		}
		if !bytes.Equal(ours, theirs) {
			t.Errorf("%s differs from %s", path, filepath.Join(shared, path))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Fatalf("embedded %d example files, want 4 (2 runnable, 2 seed-verbatim)", n)
	}
}
