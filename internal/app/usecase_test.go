package app_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/internal/config"
	"github.com/kitchenpantry/pantryflow/internal/server"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// Use cases, tested where they live: each test has the whole app on a database inside a transaction that is
// rolled back when it ends (storetest.UseCase), without the web server and without running the engine, so
// the tests run in parallel on both databases and take milliseconds each.

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

var (
	manager = &app.Actor{ID: 1, Email: "manager@example.com", Role: auth.RoleManager}
	rep     = &app.Actor{ID: 2, Email: "rep@example.com", Role: auth.RoleRep}
)

// useCases is the app wired to db, as the server wires it; nothing is started.
func useCases(t *testing.T, db *store.DB) *app.App {
	t.Helper()
	cfg := config.Defaults()
	cfg.Addr = "127.0.0.1:0"
	cfg.PasswordCost = bcrypt.MinCost
	srv, err := server.Open(context.Background(), cfg, storetest.Quiet(), server.Options{DB: db})
	if err != nil {
		t.Fatalf("wire the app: %v", err)
	}
	return srv.App
}

// definition is a small workflow of the test's own (ids are unique per test on the shared PostgreSQL
// database): a manual start with a required email, one set_variable step writing the greeting.
func definition(t *testing.T, id string) *workflow.Definition {
	t.Helper()
	def, err := workflow.Decode([]byte(fmt.Sprintf(`{
	  "id": %q, "name": "Greet %s", "trigger": {"type": "manual", "configuration": {}},
	  "variables": [{"name": "email", "type": "string", "required": true}, {"name": "greeting", "type": "string"}],
	  "steps": [{"id": "greet", "name": "Greet", "type": "action", "nextSteps": [],
	    "configuration": {"action": "set_variable", "parameters": {"name": "greeting", "value": "Hello {{ email }}"}}}]
	}`, id, id)))
	if err != nil {
		t.Fatalf("decode the test definition: %v", err)
	}
	return def
}

func TestAWorkflowIsSavedAsVersionsAndPublished(t *testing.T) {
	t.Parallel()
	storetest.EachUseCase(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := useCases(t, db)
		saved, err := a.CreateWorkflow(ctx, manager, definition(t, "greet_versions"), false)
		if err != nil {
			t.Fatal(err)
		}
		if saved.Version != 1 {
			t.Fatalf("a new workflow is version %d, want 1", saved.Version)
		}
		second := definition(t, "greet_versions")
		second.Description = "second draft"
		if saved, err = a.SaveDraft(ctx, manager, saved.ID, second); err != nil || saved.Version != 2 {
			t.Fatalf("SaveDraft = %+v, %v; want version 2", saved, err)
		}
		if err := a.Publish(ctx, manager, saved.ID, 2); err != nil {
			t.Fatal(err)
		}
		versions, err := a.ListVersions(ctx, saved.ID)
		if err != nil || len(versions) != 2 {
			t.Fatalf("ListVersions = %+v, %v; want 2 versions", versions, err)
		}
		got, err := a.GetDefinition(ctx, saved.ID, 0)
		if err != nil || got.Description != "second draft" {
			t.Fatalf("the active definition = %+v, %v; want the second draft", got, err)
		}
		if _, err := a.CreateWorkflow(ctx, rep, definition(t, "greet_by_a_rep"), true); !errors.Is(err, app.ErrForbidden) {
			t.Fatalf("a rep creating a workflow: %v, want forbidden", err)
		}
	})
}

func TestAWorkflowWithAProblemSaysWhichStepAndField(t *testing.T) {
	t.Parallel()
	storetest.EachUseCase(t, func(t *testing.T, db *store.DB) {
		a := useCases(t, db)
		def := definition(t, "greet_broken")
		def.Steps[0].NextSteps = []string{"nowhere"}
		_, err := a.CreateWorkflow(context.Background(), manager, def, true)
		var verr *app.ValidationError
		if !errors.As(err, &verr) {
			t.Fatalf("saving a step that goes nowhere: %v, want a validation error", err)
		}
		found := false
		for _, d := range verr.Details {
			found = found || (d.StepID == "greet" && strings.Contains(d.Path, "nextSteps") && strings.Contains(d.Message, "nowhere"))
		}
		if !found {
			t.Fatalf("the problems %+v do not name step greet, its nextSteps and the missing step", verr.Details)
		}
		if _, err := a.GetDefinition(context.Background(), "greet_broken", 0); !errors.Is(err, app.ErrNotFound) {
			t.Fatalf("a refused workflow was stored: %v", err)
		}
	})
}

func TestStartingARunChecksItsVariablesAndWhoStartsIt(t *testing.T) {
	t.Parallel()
	storetest.EachUseCase(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := useCases(t, db)
		saved, err := a.CreateWorkflow(ctx, manager, definition(t, "greet_start"), true)
		if err != nil {
			t.Fatal(err)
		}
		_, err = a.StartManually(ctx, manager, saved.ID, map[string]any{})
		var verr *app.ValidationError
		if !errors.As(err, &verr) {
			t.Fatalf("a start without the required email: %v, want a validation error", err)
		}
		if len(verr.Details) != 1 || verr.Details[0].Path != "email" || !strings.Contains(verr.Details[0].Message, "required") {
			t.Fatalf("a start without the required email: %+v, want one problem: email is required", verr.Details)
		}
		if _, err := a.StartManually(ctx, rep, saved.ID, map[string]any{"email": "ana@bistro.example"}); !errors.Is(err, app.ErrForbidden) {
			t.Fatalf("a rep starting a run: %v, want forbidden", err)
		}
		id, err := a.StartManually(ctx, manager, saved.ID, map[string]any{"email": "ana@bistro.example"})
		if err != nil {
			t.Fatal(err)
		}
		run, err := a.GetExecution(ctx, manager, id)
		if err != nil {
			t.Fatal(err)
		}
		if run.WorkflowID != saved.ID || run.Variables["email"] != "ana@bistro.example" || run.Trigger.StartedBy != manager.Email {
			t.Fatalf("the started run: %+v", run)
		}
		// A rep reads only the runs they started or hold a task in: not this one.
		if _, err := a.GetExecution(ctx, rep, id); !errors.Is(err, app.ErrNotFound) {
			t.Fatalf("a rep reading a manager's run: %v, want not found", err)
		}
		runs, total, err := a.ListExecutions(ctx, rep, app.ExecutionFilter{WorkflowID: saved.ID})
		if err != nil || total != 0 || len(runs) != 0 {
			t.Fatalf("a rep's list of the workflow's runs = %d (%d), %v; want none", len(runs), total, err)
		}
		runs, total, err = a.ListExecutions(ctx, manager, app.ExecutionFilter{WorkflowID: saved.ID})
		if err != nil || total != 1 || len(runs) != 1 || runs[0].ID != id {
			t.Fatalf("the manager's list of the workflow's runs = %+v (%d), %v; want the one run", runs, total, err)
		}
	})
}
