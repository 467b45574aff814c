package server_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/internal/store"
)

// The demo's use cases on both databases: installing twice (also twice at once) adds nothing twice,
// removing deletes the demo with everything its workflows' runs made and nothing else, and a reinstall after
// a removal never reuses a workflow id.

// demoActor is a harness user as the use cases see them.
func demoActor(h *harness, email string, role auth.Role) *app.Actor {
	h.t.Helper()
	u, err := h.srv.DB.UserByEmail(context.Background(), email)
	if err != nil {
		h.t.Fatal(err)
	}
	return &auth.Principal{ID: u.ID, Email: u.Email, Role: role}
}

// demoCounts is what of the demo is in the database.
type demoCounts struct {
	Workflows, Published, Enabled, Leads, Companies, DemoRows int64
}

func (h *harness) demoCounts() demoCounts {
	h.t.Helper()
	return demoCounts{
		Workflows: h.count(&store.Workflow{}, "id LIKE ?", "demo_%"),
		Published: h.count(&store.Workflow{}, "id LIKE ? AND active_version IS NOT NULL", "demo_%"),
		Enabled:   h.count(&store.Workflow{}, "id LIKE ? AND enabled", "demo_%"),
		Leads:     h.count(&store.Lead{}, "id LIKE ?", "demo-%"),
		Companies: h.count(&store.Company{}, "id LIKE ?", "demo-%"),
		DemoRows:  h.count(&store.DemoWorkflow{}),
	}
}

// demoWorkflowIDs are the workflows the demo installed, by template.
func (h *harness) demoWorkflowIDs() map[string]string {
	h.t.Helper()
	rows, err := h.srv.DB.Demo().Workflows(context.Background(), false)
	if err != nil {
		h.t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range rows {
		out[r.Template] = r.WorkflowID
	}
	return out
}

var installedDemo = demoCounts{Workflows: 2, Published: 2, Enabled: 2, Leads: 4, Companies: 4, DemoRows: 2}

func TestDemoInstallTwiceAddsNothingTwice(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, dbURL string) {
		h := start(t, dbURL)
		ctx := context.Background()
		a, manager := h.srv.App, demoActor(h, "manager@example.com", auth.RoleManager)

		if _, err := a.InstallDemo(ctx, demoActor(h, "rep@example.com", auth.RoleRep)); !errors.Is(err, app.ErrForbidden) {
			t.Fatalf("a rep installed the demo: %v", err)
		}
		if _, err := a.RemoveDemo(ctx, demoActor(h, "rep@example.com", auth.RoleRep)); !errors.Is(err, app.ErrForbidden) {
			t.Fatalf("a rep removed the demo: %v", err)
		}
		if got := h.demoCounts(); got != (demoCounts{}) {
			t.Fatalf("a fresh database has demo data: %+v", got)
		}
		d, err := a.DemoStatus(ctx, manager)
		if err != nil || d.Installed || d.Partly {
			t.Fatalf("before the install the demo is %+v (%v)", d, err)
		}

		first, err := a.InstallDemo(ctx, manager)
		if err != nil {
			t.Fatal(err)
		}
		if first != (app.DemoInstalled{WorkflowsAdded: 2, LeadsAdded: 4}) {
			t.Fatalf("the first install did %+v", first)
		}
		if got := h.demoCounts(); got != installedDemo {
			t.Fatalf("after the install: %+v, want %+v", got, installedDemo)
		}
		ids := h.demoWorkflowIDs()
		if len(ids) != 2 || !strings.HasPrefix(ids["lead_nurture_sequence"], "demo_lead_nurture_sequence_") {
			t.Fatalf("demo workflows %v", ids)
		}
		// The leads are the manager's, so the tasks their runs make are in the manager's inbox.
		if n := h.count(&store.Lead{}, "id LIKE ? AND assigned_to_id = ? AND email <> '' AND phone <> '' AND company_id LIKE ?",
			"demo-%", manager.ID, "demo-%"); n != 4 {
			t.Fatalf("%d of the 4 demo leads are the manager's with an email, a phone and a demo company", n)
		}

		second, err := a.InstallDemo(ctx, manager)
		if err != nil {
			t.Fatal(err)
		}
		if second != (app.DemoInstalled{WorkflowsThere: 2, LeadsThere: 4}) || !strings.Contains(second.Message(), "nothing was added twice") {
			t.Fatalf("the second install did %+v: %q", second, second.Message())
		}
		if got := h.demoCounts(); got != installedDemo {
			t.Fatalf("after the second install: %+v, want %+v", got, installedDemo)
		}
		if again := h.demoWorkflowIDs(); !equalMaps(again, ids) {
			t.Fatalf("the second install changed the workflows: %v, then %v", ids, again)
		}

		// A demo workflow switched off is switched back on, and a lead deleted by hand is put back.
		if err := a.SetEnabled(ctx, manager, ids["opportunity_pipeline"], false); err != nil {
			t.Fatal(err)
		}
		h.noContent(h.manager, "/api/leads/demo-lead-tom-becker")
		third, err := a.InstallDemo(ctx, manager)
		if err != nil {
			t.Fatal(err)
		}
		if third != (app.DemoInstalled{WorkflowsThere: 2, WorkflowsEnabled: 1, LeadsAdded: 1, LeadsThere: 3}) {
			t.Fatalf("the third install did %+v", third)
		}
		if got := h.demoCounts(); got != installedDemo {
			t.Fatalf("after the third install: %+v, want %+v", got, installedDemo)
		}

		// Two installs at once, on an empty demo: one set of workflows and leads.
		if _, err := a.RemoveDemo(ctx, manager); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Go(func() { _, errs[i] = a.InstallDemo(ctx, manager) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("two installs at once: %v", err)
		}
		if got := h.demoCounts(); got != installedDemo {
			t.Fatalf("after two installs at once: %+v, want %+v", got, installedDemo)
		}
		if d, err := a.DemoStatus(ctx, manager); err != nil || !d.Installed || len(d.Leads) != 4 || len(d.Workflows) != 2 {
			t.Fatalf("after the installs the demo is %+v (%v)", d, err)
		}
	})
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestDemoRemoveDeletesTheDemoWithItsRunsAndNothingElse(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, dbURL string) {
		h := start(t, dbURL)
		ctx := context.Background()
		a, manager := h.srv.App, demoActor(h, "manager@example.com", auth.RoleManager)
		// What is not the demo's: a workflow with a run waiting on a task, a lead, a company.
		own := h.approvalWorkflow()
		ownRun := h.startRun(own, nil)
		h.openTask(ownRun)
		var acme record
		h.must(http.StatusCreated, h.manager, "POST", "/api/companies", record{"name": "Acme Diner"}, &acme)
		ownLead := h.createLead(h.manager, record{"firstName": "Jane", "lastName": "Doe", "companyId": acme["id"]})

		if _, err := a.InstallDemo(ctx, manager); err != nil {
			t.Fatal(err)
		}
		ids := h.demoWorkflowIDs()
		leadFlow, oppFlow := ids["lead_nurture_sequence"], ids["opportunity_pipeline"]

		// The guided path: qualifying a demo lead starts the lead workflow; woken from its 3 days' wait, it
		// asks the manager for a discovery call, because the demo lead was in touch recently.
		h.must(http.StatusOK, h.manager, "PATCH", "/api/leads/demo-lead-maria-lopez", record{"status": "qualified"}, nil)
		run := h.waitExecutions(leadFlow, 1).Items[0]["id"].(string)
		h.waitLog(run, "wait_3_days", "started")
		h.must(http.StatusOK, h.manager, "POST", "/api/executions/"+run+"/wake", nil, nil)
		tk := h.openTask(run)
		if tk.Title != "Schedule Discovery Call" || tk.Assignee != "manager@example.com" {
			t.Fatalf("the demo run's task is %+v", tk)
		}
		d, err := a.DemoStatus(ctx, manager)
		if err != nil || d.Run == nil || d.Run.ID != run || d.Task == nil || d.Task.ID != tk.ID {
			t.Fatalf("the demo's guide does not find the run %s and its task %s: %+v (%v)", run, tk.ID, d, err)
		}
		// The opportunity workflow on an opportunity that is not demo data: a CRM to-do and a task.
		var opp record
		h.must(http.StatusCreated, h.manager, "POST", "/api/opportunities", record{"name": "Kitchen refit", "companyId": acme["id"],
			"assignedTo": "manager@example.com"}, &opp)
		oppRun := h.waitExecutions(oppFlow, 1).Items[0]["id"].(string)
		h.openTask(oppRun)
		demoRuns := []string{run, oppRun}
		if n := h.count(&store.Mail{}, "execution_id IN ?", demoRuns); n == 0 {
			t.Fatal("the demo runs sent no mail")
		}
		if n := h.count(&store.CRMTask{}, "execution_id IN ?", demoRuns); n == 0 {
			t.Fatal("the demo runs made no CRM to-do")
		}
		h.flushMetrics()
		if n := h.count(&store.AnalyticsRunHour{}, "workflow_id IN ?", []string{leadFlow, oppFlow}); n == 0 {
			t.Fatal("the demo runs have no metrics")
		}

		removed, err := a.RemoveDemo(ctx, manager)
		if err != nil {
			t.Fatal(err)
		}
		if removed.Workflows != 2 || removed.Leads != 4 || removed.Companies != 4 || removed.Runs != 2 || removed.Tasks != 2 ||
			removed.Mails == 0 || removed.Todos == 0 {
			t.Fatalf("the removal deleted %+v", removed)
		}
		if got := h.demoCounts(); got != (demoCounts{}) {
			t.Fatalf("after the removal: %+v", got)
		}
		flows := []string{leadFlow, oppFlow}
		for _, c := range []struct {
			what  string
			model any
			where string
			arg   any
		}{
			{"runs", &store.Execution{}, "workflow_id IN ?", flows},
			{"log entries", &store.LogRow{}, "execution_id IN ?", demoRuns},
			{"tasks", &store.HumanTask{}, "workflow_id IN ?", flows},
			{"task holders", &store.TaskHolder{}, "execution_id IN ?", demoRuns},
			{"mails", &store.Mail{}, "execution_id IN ?", demoRuns},
			{"CRM to-dos", &store.CRMTask{}, "execution_id IN ?", demoRuns},
			{"versions", &store.WorkflowVersion{}, "workflow_id IN ?", flows},
			{"event deliveries", &store.EventDelivery{}, "workflow_id IN ?", flows},
			{"hourly metrics", &store.AnalyticsRunHour{}, "workflow_id IN ?", flows},
			{"step metrics", &store.AnalyticsStepHour{}, "workflow_id IN ?", flows},
			{"run metrics", &store.AnalyticsExecution{}, "workflow_id IN ?", flows},
		} {
			if n := h.count(c.model, c.where, c.arg); n != 0 {
				t.Errorf("the removal left %d %s of the demo", n, c.what)
			}
		}
		// Nothing else went: the own workflow still waits on its task; the own lead, company and
		// opportunity are there.
		if e := h.get(ownRun); e.Status != "paused" || len(e.Tasks) != 1 || e.Tasks[0].Status != "open" {
			t.Fatalf("the own run is %s with tasks %+v after the removal", e.Status, e.Tasks)
		}
		for _, path := range []string{"/api/leads/" + ownLead, "/api/companies/" + acme["id"].(string), "/api/opportunities/" + opp["id"].(string)} {
			h.must(http.StatusOK, h.manager, "GET", path, nil, nil)
		}
		// The guide and a second removal find nothing.
		if d, err := a.DemoStatus(ctx, manager); err != nil || d.Installed || d.Partly || d.Run != nil {
			t.Fatalf("after the removal the demo is %+v (%v)", d, err)
		}
		again, err := a.RemoveDemo(ctx, manager)
		if err != nil || again.Message() != "There was no demo data to remove." {
			t.Fatalf("a second removal: %+v %q (%v)", again, again.Message(), err)
		}

		// Installing again makes new workflows: a removed workflow's id is never used again.
		if _, err := a.InstallDemo(ctx, manager); err != nil {
			t.Fatal(err)
		}
		if got := h.demoCounts(); got != installedDemo {
			t.Fatalf("after installing again: %+v", got)
		}
		for template, id := range h.demoWorkflowIDs() {
			if slices.Contains(flows, id) {
				t.Errorf("the reinstalled %s reuses the removed workflow id %s", template, id)
			}
		}
	})
}

// A demo lead something else points at stops the removal with a message, and nothing is deleted.
func TestDemoRemoveStopsAtADemoLeadInUse(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, dbURL string) {
		h := start(t, dbURL)
		ctx := context.Background()
		a, manager := h.srv.App, demoActor(h, "manager@example.com", auth.RoleManager)
		if _, err := a.InstallDemo(ctx, manager); err != nil {
			t.Fatal(err)
		}
		var opp record
		h.must(http.StatusCreated, h.manager, "POST", "/api/opportunities", record{"name": "Bakery ovens", "leadId": "demo-lead-maria-lopez"}, &opp)
		h.waitExecutions(h.demoWorkflowIDs()["opportunity_pipeline"], 1)
		_, err := a.RemoveDemo(ctx, manager)
		var aerr *app.Error
		if !errors.As(err, &aerr) || !errors.Is(err, app.ErrConflict) || !strings.Contains(aerr.Message, "Maria Lopez is still the lead of 1 opportunity") {
			t.Fatalf("removing a demo lead in use: %v", err)
		}
		if got := h.demoCounts(); got != installedDemo {
			t.Fatalf("a refused removal deleted something: %+v", got)
		}
		if n := h.count(&store.Execution{}, "workflow_id = ?", h.demoWorkflowIDs()["opportunity_pipeline"]); n != 1 {
			t.Fatalf("a refused removal left %d runs, want 1", n)
		}
		h.noContent(h.manager, "/api/opportunities/"+opp["id"].(string))
		if _, err := a.RemoveDemo(ctx, manager); err != nil {
			t.Fatal(err)
		}
		if got := h.demoCounts(); got != (demoCounts{}) {
			t.Fatalf("after the removal: %+v", got)
		}
	})
}
