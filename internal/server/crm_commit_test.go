package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/actions"
	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/internal/clock"
	"github.com/kitchenpantry/pantryflow/internal/config"
	"github.com/kitchenpantry/pantryflow/internal/crm"
	"github.com/kitchenpantry/pantryflow/internal/engine"
	"github.com/kitchenpantry/pantryflow/internal/server"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// updateThenDelete is update_record, except that the record is put back before each attempt runs and deleted
// right after, before the step commits: every attempt passes its checks and then finds nothing to update. It
// is registered only in this test.
type updateThenDelete struct {
	inner          actions.Action
	before, delete func(ctx context.Context, id string) error
}

func (a updateThenDelete) Spec() workflow.ActionSpec {
	s := a.inner.Spec()
	s.Name = "update_then_delete"
	return s
}

func (a updateThenDelete) Run(ctx context.Context, in actions.Input) (actions.Result, error) {
	id, _ := in.Params["id"].(string)
	if err := a.before(ctx, id); err != nil {
		return actions.Result{}, err
	}
	res, err := a.inner.Run(ctx, in)
	if err != nil {
		return res, err
	}
	return res, a.delete(ctx, id)
}

// TestARecordDeletedBeforeTheCommitFailsTheStepOnce: update_record's effect finds the record gone when the
// step commits. The step fails for good with a message naming the record, instead of being retried for ever.
func TestARecordDeletedBeforeTheCommitFailsTheStepOnce(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, url string) {
		ctx := context.Background()
		cfg := config.Defaults()
		cfg.DatabaseURL = url
		var srv *server.Server
		srv, err := server.Open(ctx, cfg, storetest.Quiet(), server.Options{
			Clock:  clock.NewFake(t0),
			Engine: engine.Config{TimerInterval: 20 * time.Millisecond, FetchPollInterval: 10 * time.Millisecond},
			ExtraActions: func(d actions.Deps) []actions.Action {
				inner, _ := actions.NewRegistry(actions.Builtin(d)...).Get("update_record")
				return []actions.Action{updateThenDelete{inner: inner,
					before: func(ctx context.Context, id string) error {
						return srv.DB.Tx(ctx, func(tx *store.Tx) error {
							return store.InsertOnce{Row: &store.Lead{ID: id, FirstName: "Jane", LastName: "Doe", Status: "new",
								CreatedAt: t0, UpdatedAt: t0}, UniqueColumn: "id"}.Apply(ctx, tx)
						})
					},
					delete: func(ctx context.Context, id string) error {
						return srv.App.CRM.Delete(ctx, "manager@example.com", crm.Lead, id)
					}}}
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = srv.Close(context.Background()) })
		u, err := srv.App.Auth.CreateUser(ctx, "manager@example.com", "Manager", auth.RoleManager, "correct horse battery")
		if err != nil {
			t.Fatal(err)
		}
		actor := &app.Actor{ID: u.ID, Email: u.Email, Role: auth.RoleManager}

		lead, err := srv.App.CRM.Create(ctx, actor.Email, crm.Lead, map[string]any{"firstName": "Jane", "lastName": "Doe"})
		if err != nil {
			t.Fatal(err)
		}
		def, err := workflow.Decode([]byte(`{
			"name": "Touch a lead", "trigger": {"type": "manual", "configuration": {}},
			"variables": [{"name": "leadId", "type": "string", "required": true}],
			"steps": [{"id": "touch", "name": "Touch", "type": "action", "nextSteps": [],
				"configuration": {"action": "update_then_delete",
					"parameters": {"entity": "lead", "id": "{{leadId}}", "data": {"status": "contacted"}}}}]}`))
		if err != nil {
			t.Fatal(err)
		}
		saved, err := srv.App.CreateWorkflow(ctx, actor, def, true)
		if err != nil {
			t.Fatal(err)
		}
		id, err := srv.App.StartExecution(ctx, actor, saved.ID, map[string]any{"leadId": lead["id"]}, engine.StartMeta{TriggerType: "manual"})
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		var e *app.ExecutionView
		for {
			if e, err = srv.App.GetExecution(ctx, actor, id); err != nil {
				t.Fatal(err)
			}
			if e.Status != string(workflow.StatusRunning) || time.Now().After(deadline) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		failures := 0
		for _, le := range e.ExecutionLog {
			if le.StepID == "touch" && le.Action == workflow.LogFailed {
				failures++
			}
		}
		if e.Status != string(workflow.StatusFailed) || e.FailedStep != "touch" || failures != 1 ||
			!strings.Contains(e.Error, `update_record: there is no lead with id "`+lead["id"].(string)+`"`) {
			t.Fatalf("execution is %s at %q with error %q and %d failures logged; want failed once at touch, naming the lead",
				e.Status, e.FailedStep, e.Error, failures)
		}
	})
}
