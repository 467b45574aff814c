package arch

import (
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/kitchenpantry/pantryflow/"

// layers ranks every package of the module: a package may import only packages of a lower rank, so
// dependencies point one way, cmd → server → web → app → {engine, triggers, crm, analytics, auth} →
// {workflow, expression, actions, store}. Inside web, the API (web/api) and the pages (web/ui) stand side by
// side on what they share (web/httpx), and neither imports the other. A new package must be given its place
// here.
var layers = map[string]int{
	"internal/clock": 0, "internal/netguard": 0, "internal/expression": 0, "internal/workflow": 0,
	// businesstime is a leaf below workflow: a human task's due dates and reminders are written in its terms.
	"internal/businesstime": -1,
	"migrations":            0, "static": 0, "examples": 0, "internal/mailer/mailertest": 0, "internal/arch": 0, "internal/words": 0, "internal/forms": 0,
	"internal/store": 1, "internal/config": 1,
	"internal/store/storetest": 2, "internal/mailer": 2, "internal/secrets": 2,
	"internal/actions": 3, "internal/analytics": 3,
	"internal/engine": 4, "internal/crm": 4, "internal/auth": 4, "internal/analytics/rollup": 4,
	"internal/triggers": 5,
	"internal/app":      6,
	"views":             7,
	"web/httpx":         8,
	"web/api":           9, "web/ui": 9,
	"web":             10,
	"internal/server": 11,
	"internal/bench":  12, "internal/chaos": 12,
	"cmd/pantryflow": 13,
}

// engineInsides are the packages nothing above internal/app may import: pages and the API see executions,
// triggers and the database only through app's read models.
var engineInsides = []string{"internal/engine", "internal/triggers", "internal/store"}

// dataLayer are the imports only internal/store (and its own tests) may make: it is the one package that
// speaks SQL.
var dataLayer = []string{"gorm.io/", "database/sql"}

type importAt struct {
	pkg, file, path string
	test            bool
}

func TestImportsPointOneWay(t *testing.T) {
	for _, im := range moduleImports(t) {
		if im.test {
			continue // tests may drive a package from above (server tests start the whole app)
		}
		from, ok := layers[im.pkg]
		if !ok {
			t.Errorf("%s: package %s has no place in the layers of internal/arch; give it one", im.file, im.pkg)
			continue
		}
		target, ok := strings.CutPrefix(im.path, module)
		if !ok {
			continue
		}
		to, ok := layers[target]
		if !ok {
			t.Errorf("%s imports %s, which has no place in the layers of internal/arch; give it one", im.file, target)
			continue
		}
		if to >= from {
			t.Errorf("%s: %s imports %s, against the direction (%s is layer %d, %s layer %d)",
				im.file, im.pkg, target, im.pkg, from, target, to)
		}
	}
}

func TestNothingAboveAppImportsTheEngineTriggersOrStore(t *testing.T) {
	app := layers["internal/app"]
	for _, im := range moduleImports(t) {
		if im.test || layers[im.pkg] <= app || im.pkg == "internal/server" || layers[im.pkg] > layers["internal/server"] {
			continue // internal/server wires the parts together; the commands and tools above it start it
		}
		for _, inside := range engineInsides {
			if im.path == module+inside {
				t.Errorf("%s: %s imports %s; go through internal/app's read models instead", im.file, im.pkg, inside)
			}
		}
	}
}

func TestOnlyTheStoreSpeaksSQL(t *testing.T) {
	for _, im := range moduleImports(t) {
		if im.pkg == "internal/store" {
			continue
		}
		for _, p := range dataLayer {
			if im.path == strings.TrimSuffix(p, "/") || strings.HasPrefix(im.path, p) {
				t.Errorf("%s imports %s: only internal/store speaks SQL; add a repository method there", im.file, im.path)
			}
		}
	}
}

// moduleImports parses the imports of every Go file of the module.
func moduleImports(t *testing.T) []importAt {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("the module root is not two folders up: %v", err)
	}
	var out []importAt
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "testdata" || name == "data") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return fmt.Errorf("parse %s: %w", path, err)
		}
		rel, _ := filepath.Rel(root, path)
		pkg := filepath.ToSlash(filepath.Dir(rel))
		for _, spec := range f.Imports {
			p, _ := strconv.Unquote(spec.Path.Value)
			out = append(out, importAt{pkg: pkg, file: filepath.ToSlash(rel), path: p, test: strings.HasSuffix(name, "_test.go")})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].file < out[j].file })
	return out
}
