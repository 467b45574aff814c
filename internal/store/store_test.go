package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/schema"

	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
	"github.com/kitchenpantry/pantryflow/migrations"
)

var t0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

// parseModel is the GORM schema of a model, as GORM reads and writes it on db.
func parseModel(t *testing.T, db *store.DB, model any) *schema.Schema {
	t.Helper()
	s, err := schema.Parse(model, &sync.Map{}, store.GormOf(db).NamingStrategy)
	if err != nil {
		t.Fatalf("parse %T: %v", model, err)
	}
	return s
}

func TestModelsMatchTheMigratedSchema(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		models := store.Models()
		m := store.GormOf(db).Migrator()
		// Every table of ours has a model (River's and goose's are theirs).
		tables, err := m.GetTables()
		if err != nil {
			t.Fatal(err)
		}
		modelled := map[string]bool{}
		for _, model := range models {
			modelled[parseModel(t, db, model).Table] = true
		}
		for _, table := range tables {
			if strings.HasPrefix(table, "river_") || strings.HasPrefix(table, "sqlite_") || table == "goose_db_version" {
				continue
			}
			if !modelled[table] {
				t.Fatalf("table %q has no model in store.Models()", table)
			}
		}
		for _, model := range models {
			s := parseModel(t, db, model)
			if !m.HasTable(model) {
				t.Fatalf("%T: table %q does not exist", model, s.Table)
			}
			for _, f := range s.Fields {
				if f.DBName == "" {
					continue // not a column (GORM ignores it)
				}
				if !m.HasColumn(model, f.DBName) {
					t.Errorf("%T.%s: table %s has no column %q", model, f.Name, s.Table, f.DBName)
				}
			}
			cols, err := m.ColumnTypes(model)
			if err != nil {
				t.Fatalf("%T: column types: %v", model, err)
			}
			if len(cols) == 0 {
				t.Fatalf("%T: table %s has no columns", model, s.Table)
			}
			for _, c := range cols {
				if _, ok := s.FieldsByDBName[c.Name()]; !ok {
					t.Errorf("%T: column %s.%s is not a field of the model", model, s.Table, c.Name())
				}
			}
		}
	})
}

func TestMigrateTwiceIsANoOp(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		version := func() int64 {
			t.Helper()
			var v int64
			if err := store.GormOf(db).Raw("SELECT MAX(version_id) FROM goose_db_version").Scan(&v).Error; err != nil {
				t.Fatalf("read the goose version: %v", err)
			}
			return v
		}
		files, err := fs.Glob(migrations.FS, string(db.Dialect)+"/*.sql")
		if err != nil {
			t.Fatal(err)
		}
		// Migration numbers are given out per change, so they may have gaps while branches are merged: the
		// version is the last file's number, and every file is applied once.
		last, err := strconv.ParseInt(strings.SplitN(path.Base(files[len(files)-1]), "_", 2)[0], 10, 64)
		if err != nil {
			t.Fatalf("migration %s: %v", files[len(files)-1], err)
		}
		before := version()
		var applied int64
		if err := store.GormOf(db).Raw("SELECT COUNT(DISTINCT version_id) FROM goose_db_version WHERE version_id > 0").Scan(&applied).Error; err != nil {
			t.Fatalf("count the applied migrations: %v", err)
		}
		if before != last || applied != int64(len(files)) {
			t.Fatalf("after the first migration goose is at version %d with %d applied, want %d with %d (one per file)", before, applied, last, len(files))
		}
		var logs bytes.Buffer
		log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		if err := db.Migrate(ctx, log); err != nil {
			t.Fatalf("second Migrate: %v", err)
		}
		if strings.Contains(logs.String(), "migration applied") {
			t.Fatalf("second Migrate applied something:\n%s", logs.String())
		}
		if after := version(); after != before {
			t.Fatalf("goose version after the second migration = %d, want %d", after, before)
		}
		names, err := db.EmailTemplateNames(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(names); got != 9 {
			t.Fatalf("after migrating twice there are %d templates (%v), want the 9 defaults once each (5 for workflows, 4 for task notifications)", got, names)
		}
	})
}

func TestDefaultEmailTemplates(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tests := []struct {
			name, subject, bodyHas string
		}{
			{"welcome_qualified_lead", "Welcome to Kitchen Pantry, {{firstName}}", "{{companyName}}"},
			{"followup_engaged_lead", "Next steps with Kitchen Pantry", "{{lead.firstName}}"},
			{"demo_followup", "Thank you for your time at the demo", "{{nextSteps}}"},
			{"proposal", "Your Kitchen Pantry proposal", "{{findings}}"},
		}
		names, err := db.EmailTemplateNames(ctx)
		if err != nil {
			t.Fatalf("EmailTemplateNames: %v", err)
		}
		if !slices.IsSorted(names) {
			t.Fatalf("EmailTemplateNames = %v, want sorted", names)
		}
		for _, tt := range tests {
			if !slices.Contains(names, tt.name) {
				t.Errorf("EmailTemplateNames = %v, want it to contain %q", names, tt.name)
			}
			got, err := db.EmailTemplate(ctx, tt.name)
			if err != nil {
				t.Fatalf("EmailTemplate(%q): %v", tt.name, err)
			}
			if got.Name != tt.name || got.Subject != tt.subject {
				t.Errorf("EmailTemplate(%q) = %q / %q, want subject %q", tt.name, got.Name, got.Subject, tt.subject)
			}
			if !strings.Contains(got.Body, tt.bodyHas) || !strings.Contains(got.Body, "The Kitchen Pantry sales team") {
				t.Errorf("EmailTemplate(%q) body = %q, want it to use %s and be signed", tt.name, got.Body, tt.bodyHas)
			}
		}
		_, err = db.EmailTemplate(ctx, "fax_cover_sheet")
		if !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("EmailTemplate(unknown) error = %v, want ErrNotFound", err)
		}
		if want := `email template "fax_cover_sheet": not found`; err.Error() != want {
			t.Fatalf("EmailTemplate(unknown) error = %q, want %q", err, want)
		}
	})
}

func mail(id, key, subject string) *store.Mail {
	return &store.Mail{ID: id, IdempotencyKey: key, StepID: "welcome", Template: "welcome_qualified_lead",
		ToAddress: "jane@example.com", Subject: subject, Body: "Hi", Status: store.MailQueued, CreatedAt: t0}
}

func TestInsertOnceAndInsert(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		apply := func(e store.Effect) error {
			t.Helper()
			return db.Tx(ctx, func(tx *store.Tx) error { return e.Apply(ctx, tx) })
		}
		// A step that runs twice makes a new row (new id) with the same key each time.
		for i, subject := range []string{"first attempt", "second attempt"} {
			e := store.InsertOnce{Row: mail(fmt.Sprintf("mail-%d", i), "exec-1/welcome/1", subject), UniqueColumn: "idempotency_key"}
			if err := apply(e); err != nil {
				t.Fatalf("InsertOnce #%d: %v", i+1, err)
			}
		}
		var rows []store.Mail
		if err := store.GormOf(db).Where("idempotency_key = ?", "exec-1/welcome/1").Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].ID != "mail-0" || rows[0].Subject != "first attempt" {
			t.Fatalf("after InsertOnce twice: %+v, want the first row only", rows)
		}

		if err := apply(store.Insert{Row: mail("mail-9", "exec-2/welcome/1", "other")}); err != nil {
			t.Fatalf("Insert: %v", err)
		}
		err := apply(store.Insert{Row: mail("mail-9", "exec-3/welcome/1", "same id")})
		if err == nil {
			t.Fatal("Insert of a duplicate primary key succeeded")
		}
		if !errors.Is(err, gorm.ErrDuplicatedKey) || !strings.HasPrefix(err.Error(), "insert *store.Mail: ") {
			t.Fatalf("Insert of a duplicate primary key: %v, want a wrapped gorm.ErrDuplicatedKey", err)
		}
		var n int64
		if err := store.GormOf(db).Model(&store.Mail{}).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Fatalf("mail_outbox has %d rows, want 2", n)
		}
	})
}

func TestUserByEmail(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		disabled := t0
		users := []*store.User{
			{Email: "jane@example.com", Name: "Jane", Role: "rep", CreatedAt: t0, UpdatedAt: t0},
			{Email: "gone@example.com", Name: "Gone", Role: "rep", DisabledAt: &disabled, CreatedAt: t0, UpdatedAt: t0},
		}
		if err := store.GormOf(db).Create(users).Error; err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			email   string
			wantID  int64
			wantErr string
		}{
			{email: "jane@example.com", wantID: users[0].ID},
			{email: "JANE@Example.COM", wantID: users[0].ID},
			{email: "  Jane@example.com ", wantID: users[0].ID},
			{email: "gone@example.com", wantErr: `user "gone@example.com": not found`},
			{email: "nobody@example.com", wantErr: `user "nobody@example.com": not found`},
		}
		for _, tt := range tests {
			u, err := db.UserByEmail(ctx, tt.email)
			if tt.wantErr != "" {
				if !errors.Is(err, store.ErrNotFound) || err.Error() != tt.wantErr {
					t.Errorf("UserByEmail(%q) = %v, %v; want error %q", tt.email, u, err, tt.wantErr)
				}
				continue
			}
			if err != nil {
				t.Fatalf("UserByEmail(%q): %v", tt.email, err)
			}
			if u.ID != tt.wantID || u.Email != "jane@example.com" || u.Name != "Jane" {
				t.Errorf("UserByEmail(%q) = %+v, want Jane (id %d)", tt.email, u, tt.wantID)
			}
		}
	})
}

func TestSQLiteRefusesASecondOpen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "data", "pantryflow.db")
	url := "sqlite://" + path
	first, err := store.Open(ctx, url, storetest.Quiet())
	if err != nil {
		t.Fatalf("first Open: %v", err)
	}
	if first.Dialect != store.SQLite || first.Path != path {
		t.Fatalf("first Open = %s at %q, want sqlite at %q", first.Dialect, first.Path, path)
	}
	second, err := store.Open(ctx, url, storetest.Quiet())
	if err == nil {
		_ = second.Close()
		_ = first.Close()
		t.Fatal("a second Open of the same SQLite file succeeded")
	}
	for _, want := range []string{"another Pantryflow process", fmt.Sprintf("(pid %d)", os.Getpid()), path} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("second Open error = %q, want it to contain %q", err, want)
		}
	}
	if err := first.Ping(ctx); err != nil {
		t.Fatalf("the refused second Open broke the first: %v", err)
	}
	if err := first.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	again, err := store.Open(ctx, url, storetest.Quiet())
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	if err := again.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func TestOpenPostgresErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, url string
		want      []string
	}{
		{"nothing listens", "postgres://nobody:s3cret-pw@127.0.0.1:1/x",
			[]string{"connect to PostgreSQL at postgres://nobody:xxxxx@127.0.0.1:1/x: "}},
		{"not a URL", "postgres://nobody:s3cret-pw@127.0.0.1:notaport/x",
			[]string{"PANTRYFLOW_DATABASE_URL is not a valid PostgreSQL URL: "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			db, err := store.Open(ctx, tt.url, storetest.Quiet())
			if err == nil {
				_ = db.Close()
				t.Fatalf("Open(%q) succeeded", tt.url)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Open(%q) error = %q, want it to contain %q", tt.url, err, w)
				}
			}
			if strings.Contains(err.Error(), "s3cret-pw") {
				t.Errorf("Open error shows the password: %q", err)
			}
		})
	}
}

func TestJSONColumn(t *testing.T) {
	t.Parallel()
	t.Run("scan", func(t *testing.T) {
		t.Parallel()
		src := []byte(`{"a":1}`)
		tests := []struct {
			name    string
			src     any
			want    string
			wantNil bool
			wantErr string
		}{
			{name: "bytes", src: src, want: `{"a":1}`},
			{name: "string", src: `[1,2]`, want: `[1,2]`},
			{name: "nil", src: nil, wantNil: true},
			{name: "number", src: 42, wantErr: "store: cannot scan int into JSON"},
		}
		for _, tt := range tests {
			j := store.JSON(`"old"`)
			err := j.Scan(tt.src)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Errorf("%s: Scan error = %v, want %q", tt.name, err, tt.wantErr)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: Scan: %v", tt.name, err)
			}
			if (j == nil) != tt.wantNil || string(j) != tt.want {
				t.Errorf("%s: Scan gave %q (nil %t), want %q (nil %t)", tt.name, j, j == nil, tt.want, tt.wantNil)
			}
		}
		// The driver may reuse its buffer: a scanned value must not alias it.
		var j store.JSON
		if err := j.Scan(src); err != nil {
			t.Fatal(err)
		}
		src[2] = 'X'
		if string(j) != `{"a":1}` {
			t.Fatalf("Scan kept a reference to the driver's buffer: %q", j)
		}
	})
	t.Run("value", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			name string
			j    store.JSON
			want any
		}{
			{"nil", nil, nil},
			{"object", store.JSON(`{"a":1}`), `{"a":1}`},
		}
		for _, tt := range tests {
			got, err := tt.j.Value()
			if err != nil || got != tt.want {
				t.Errorf("%s: Value() = %#v, %v; want %#v", tt.name, got, err, tt.want)
			}
		}
	})
	t.Run("marshal", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			name string
			j    store.JSON
			want string
		}{
			{"nil", nil, "null"},
			{"empty", store.JSON{}, "null"},
			{"object", store.JSON(`{"a":[1]}`), `{"a":[1]}`},
		}
		for _, tt := range tests {
			got, err := tt.j.MarshalJSON()
			if err != nil || string(got) != tt.want {
				t.Errorf("%s: MarshalJSON() = %q, %v; want %q", tt.name, got, err, tt.want)
			}
		}
		wrapped := store.MustJSON(map[string]any{"doc": store.JSON(`{"x":true}`), "none": store.JSON(nil)})
		if want := `{"doc":{"x":true},"none":null}`; string(wrapped) != want {
			t.Fatalf("embedded JSON columns encode as %s, want %s", wrapped, want)
		}
	})
	t.Run("round trip through the database", func(t *testing.T) {
		t.Parallel()
		storetest.Each(t, func(t *testing.T, db *store.DB) {
			wf := &store.Workflow{ID: "wf", Name: "W", LatestVersion: 1, TriggerType: "manual", CreatedAt: t0, UpdatedAt: t0}
			def := store.MustJSON(map[string]any{"name": "W", "steps": []any{}})
			v := &store.WorkflowVersion{WorkflowID: "wf", Version: 1, Definition: def, Status: store.VersionDraft, CreatedAt: t0}
			if err := store.GormOf(db).Create(wf).Error; err != nil {
				t.Fatal(err)
			}
			if err := store.GormOf(db).Create(v).Error; err != nil {
				t.Fatal(err)
			}
			var got store.WorkflowVersion
			if err := store.GormOf(db).Where("workflow_id = ? AND version = ?", "wf", 1).Take(&got).Error; err != nil {
				t.Fatal(err)
			}
			var decoded struct {
				Name  string `json:"name"`
				Steps []any  `json:"steps"`
			}
			if err := got.Definition.Decode(&decoded); err != nil {
				t.Fatal(err)
			}
			if decoded.Name != "W" || decoded.Steps == nil || len(decoded.Steps) != 0 {
				t.Fatalf("definition read back as %s, want the stored one", got.Definition)
			}
		})
	})
}

func TestJSONDecode(t *testing.T) {
	t.Parallel()
	keep := map[string]int{"a": 1}
	if err := store.JSON(nil).Decode(&keep); err != nil || keep["a"] != 1 {
		t.Fatalf("Decode of an empty column = %v, %v; want v left alone", keep, err)
	}
	var n int
	err := store.JSON(`"text"`).Decode(&n)
	if err == nil || !strings.HasPrefix(err.Error(), "decode JSON column: ") {
		t.Fatalf("Decode of a mismatched type = %v, want a decode error", err)
	}
	if _, err := store.ToJSON(func() {}); err == nil || !strings.HasPrefix(err.Error(), "encode JSON column: ") {
		t.Fatalf("ToJSON(func) = %v, want an encode error", err)
	}
}
