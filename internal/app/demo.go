package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/internal/crm"
	"github.com/kitchenpantry/pantryflow/internal/store"
)

// The demo is what a fresh install offers a manager on the first screen: the original design's two
// workflows, installed from the template gallery (ImportTemplate) published and switched on, and a few
// leads with their companies to try them on. Installing is idempotent: it adds only what is missing.
// Removing deletes all of it, the workflows with every run, task and mail they made.
//
// The demo's leads and companies have fixed ids that start with DemoIDPrefix, which the CRM never hands out
// (its ids are generated), so a page can tell demo records by their id. The workflows get new ids at each
// install (recorded in demo_workflows): a removed workflow's id is never used again, because the engine
// caches compiled versions by workflow id and version.

// DemoIDPrefix starts the id of every demo lead and company.
const DemoIDPrefix = "demo-"

// IsDemoRecord reports whether a CRM record is demo data.
func IsDemoRecord(id string) bool { return strings.HasPrefix(id, DemoIDPrefix) }

// demoTemplates are the templates the demo installs, the lead workflow first.
var demoTemplates = []string{"lead_nurture_sequence", "opportunity_pipeline"}

type demoCompany struct {
	id, name, industry, city, phone, website string
}

type demoLead struct {
	id, first, last, title, email, phone, source, status, notes string
	score                                                       int
	company                                                     demoCompany
	// touched is how long before the install the lead was last in touch.
	touched time.Duration
}

var (
	demoBakery   = demoCompany{"demo-company-lopez-bakery", "Lopez Family Bakery", "Bakery", "Austin", "+1 512 555 0101", "lopezbakery.example"}
	demoDeli     = demoCompany{"demo-company-beckers-deli", "Becker's Corner Deli", "Delicatessen", "Milwaukee", "+1 414 555 0102", "beckersdeli.example"}
	demoCatering = demoCompany{"demo-company-green-fork", "Green Fork Catering", "Catering", "Portland", "+1 503 555 0103", "greenfork.example"}
	demoNoodles  = demoCompany{"demo-company-harbor-noodles", "Harbor Noodle House", "Restaurant", "Seattle", "+1 206 555 0104", "harbornoodle.example"}

	demoLeads = []demoLead{
		{"demo-lead-maria-lopez", "Maria", "Lopez", "Head of Purchasing", "maria.lopez@lopezbakery.example", "+1 512 555 0111",
			"Trade show", "contacted", "Asked for a price list for flour and packaging at the Austin food fair.", 72, demoBakery, 2 * time.Hour},
		{"demo-lead-tom-becker", "Tom", "Becker", "Owner", "tom@beckersdeli.example", "+1 414 555 0112",
			"Website", "new", "Filled in the contact form: wants weekly deliveries of cured meats.", 55, demoDeli, 5 * time.Hour},
		{"demo-lead-aisha-khan", "Aisha", "Khan", "Operations Manager", "aisha.khan@greenfork.example", "+1 503 555 0113",
			"Referral", "contacted", "Referred by Harbor Noodle House; caters 40 events a month.", 81, demoCatering, 26 * time.Hour},
		{"demo-lead-ken-watanabe", "Ken", "Watanabe", "Chef and co-owner", "ken@harbornoodle.example", "+1 206 555 0114",
			"Cold call", "new", "Opening a second kitchen in the spring.", 40, demoNoodles, 50 * time.Hour},
	}
)

// Demo is what the first screen shows about the demo.
type Demo struct {
	// Installed says every demo workflow and lead is there; Partly that some are.
	Installed, Partly bool
	Workflows         []DemoWorkflow
	Leads             []DemoLead
	// Run is the newest run of the demo's lead workflow, Task its open task (or its last one when none is
	// open), and Todo says the run made a CRM to-do instead of a task (the lead had not been in touch).
	Run  *ExecutionSummary
	Task *TaskView
	Todo bool
}

// DemoWorkflow is one of the demo's workflows.
type DemoWorkflow struct {
	ID, Name, Template, TriggerEvent string
	Enabled                          bool
}

// DemoLead is one of the demo's leads as the first screen lists it.
type DemoLead struct {
	ID, Name, Company, Email, Phone, Status string
}

// LeadWorkflow is the demo workflow a qualified lead starts, or nil.
func (d *Demo) LeadWorkflow() *DemoWorkflow {
	for i := range d.Workflows {
		if d.Workflows[i].Template == demoTemplates[0] {
			return &d.Workflows[i]
		}
	}
	return nil
}

// DemoInstalled says what an install added and what was there already.
type DemoInstalled struct {
	WorkflowsAdded, WorkflowsThere, WorkflowsEnabled int
	LeadsAdded, LeadsThere                           int
}

// Message is the install's outcome in words.
func (d DemoInstalled) Message() string {
	if d.WorkflowsAdded == 0 && d.LeadsAdded == 0 {
		msg := "The demo was installed already; nothing was added twice."
		if d.WorkflowsEnabled > 0 {
			msg += fmt.Sprintf(" %s switched back on.", countWords(d.WorkflowsEnabled, "demo workflow was", "demo workflows were"))
		}
		return msg
	}
	msg := fmt.Sprintf("The demo is installed: %s and %s.", countWords(d.WorkflowsAdded+d.WorkflowsThere, "workflow", "workflows"),
		countWords(d.LeadsAdded+d.LeadsThere, "lead", "leads"))
	if d.WorkflowsThere+d.LeadsThere > 0 {
		msg += " What was there already was kept, not added twice."
	}
	return msg + " Next: qualify a lead."
}

// DemoRemoved counts what a removal deleted.
type DemoRemoved struct {
	store.DemoForgotten
	Leads, Companies int
}

// Message is the removal's outcome in words.
func (d DemoRemoved) Message() string {
	if d.Workflows == 0 && d.Leads == 0 && d.Companies == 0 {
		return "There was no demo data to remove."
	}
	return fmt.Sprintf("The demo data is removed: %s, %s and %s, with %s, %s and %s.",
		countWords(int(d.Workflows), "workflow", "workflows"), countWords(d.Leads, "lead", "leads"),
		countWords(d.Companies, "company", "companies"), countWords(int(d.Runs), "run", "runs"),
		countWords(int(d.Tasks+d.Todos), "task", "tasks"), countWords(int(d.Mails), "mail", "mails"))
}

func countWords(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// InstallDemo installs what of the demo is missing: the two workflows (published and switched on; one the
// manager switched off is switched back on) and the demo leads, assigned to the manager, so the tasks their
// runs make land in the manager's inbox. Installing twice, or twice at once, adds nothing twice.
func (a *App) InstallDemo(ctx context.Context, actor *Actor) (DemoInstalled, error) {
	var out DemoInstalled
	if err := requireManager(actor, "install the demo"); err != nil {
		return out, err
	}
	for _, template := range demoTemplates {
		added, enabled, err := a.installDemoWorkflow(ctx, actor, template)
		if err != nil {
			return out, err
		}
		if added {
			out.WorkflowsAdded++
		} else {
			out.WorkflowsThere++
		}
		if enabled {
			out.WorkflowsEnabled++
		}
	}
	err := a.DB.Tx(ctx, func(tx *store.Tx) error {
		// The demo rows' locks make a second install at once wait here, and then find the leads there.
		if _, err := tx.Demo().Workflows(ctx, true); err != nil {
			return err
		}
		added, there, err := a.installDemoLeads(ctx, tx, actor)
		out.LeadsAdded, out.LeadsThere = added, there
		return err
	})
	if err != nil {
		return DemoInstalled{}, crmError(err)
	}
	a.Log.Info("demo installed", "by", actor.Email, "workflows_added", out.WorkflowsAdded, "leads_added", out.LeadsAdded)
	return out, nil
}

// installDemoWorkflow makes sure template has its demo workflow, published and enabled: added says it made
// it, enabled that it switched it back on.
func (a *App) installDemoWorkflow(ctx context.Context, actor *Actor, template string) (added, enabled bool, err error) {
	row, err := a.DB.Demo().Claim(ctx, &store.DemoWorkflow{Template: template,
		WorkflowID: "demo_" + template + "_" + strings.ToLower(auth.RandomSecret(3)), CreatedBy: actor.Email, CreatedAt: a.Clock.Now()})
	if err != nil {
		return false, false, err
	}
	wf, err := a.DB.Workflows().Workflow(ctx, row.WorkflowID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		_, err = a.ImportTemplate(ctx, actor, template, row.WorkflowID)
		if err != nil {
			// Another install at the same moment may have made it first (its id is the claimed one): then
			// the import was refused as a conflict, or lost the race for the key on PostgreSQL.
			if there, xerr := a.DB.Workflows().Exists(ctx, row.WorkflowID); xerr == nil && there {
				return false, false, nil
			}
		}
		return err == nil, false, err
	case err != nil:
		return false, false, fmt.Errorf("read the demo workflow %s: %w", row.WorkflowID, err)
	case !wf.Enabled:
		return false, true, a.SetEnabled(ctx, actor, wf.ID, true)
	}
	return false, false, nil
}

// installDemoLeads creates the demo companies and leads that are not there, inside tx.
func (a *App) installDemoLeads(ctx context.Context, tx *store.Tx, actor *Actor) (added, there int, err error) {
	companyIDs, leadIDs := demoIDs()
	companies, err := store.CRMByID[store.Company](ctx, tx.CRM(), companyIDs)
	if err != nil {
		return 0, 0, fmt.Errorf("look for the demo companies: %w", err)
	}
	leads, err := store.CRMByID[store.Lead](ctx, tx.CRM(), leadIDs)
	if err != nil {
		return 0, 0, fmt.Errorf("look for the demo leads: %w", err)
	}
	haveCompany, haveLead := map[string]bool{}, map[string]bool{}
	for _, c := range companies {
		haveCompany[c.ID] = true
	}
	for _, l := range leads {
		haveLead[l.ID] = true
	}
	now := a.Clock.Now()
	for _, l := range demoLeads {
		if haveLead[l.id] {
			there++
			continue
		}
		c := l.company
		if !haveCompany[c.id] {
			if _, err := a.CRM.CreateTx(ctx, tx, string(crm.Company), c.id, map[string]any{"name": c.name, "industry": c.industry,
				"city": c.city, "country": "US", "phone": c.phone, "website": c.website, "assignedTo": actor.Email}, actor.Email); err != nil {
				return 0, 0, fmt.Errorf("create the demo company %s: %w", c.name, err)
			}
			haveCompany[c.id] = true
		}
		if _, err := a.CRM.CreateTx(ctx, tx, string(crm.Lead), l.id, map[string]any{"firstName": l.first, "lastName": l.last,
			"title": l.title, "email": l.email, "phone": l.phone, "companyId": c.id, "status": l.status, "source": l.source,
			"score": l.score, "notes": "Demo data. " + l.notes, "assignedTo": actor.Email,
			"lastInteraction": now.Add(-l.touched).UTC().Format(time.RFC3339)}, actor.Email); err != nil {
			return 0, 0, fmt.Errorf("create the demo lead %s %s: %w", l.first, l.last, err)
		}
		added++
	}
	return added, there, nil
}

func demoIDs() (companies, leads []string) {
	seen := map[string]bool{}
	for _, l := range demoLeads {
		leads = append(leads, l.id)
		if !seen[l.company.id] {
			seen[l.company.id] = true
			companies = append(companies, l.company.id)
		}
	}
	return companies, leads
}

// RemoveDemo deletes the demo in one transaction: its workflows with all their runs (also runs on leads
// that are not demo leads), tasks, to-dos, mails and metrics, then the demo leads and companies. A demo
// record something else still points at (an opportunity made for a demo lead) stops the removal with a
// message saying so, and nothing is deleted. With nothing installed it deletes nothing.
func (a *App) RemoveDemo(ctx context.Context, actor *Actor) (DemoRemoved, error) {
	var out DemoRemoved
	if err := requireManager(actor, "remove the demo"); err != nil {
		return out, err
	}
	err := a.DB.Tx(ctx, func(tx *store.Tx) error {
		rows, err := tx.Demo().Workflows(ctx, true)
		if err != nil {
			return err
		}
		ids := make([]string, len(rows))
		for i, r := range rows {
			ids[i] = r.WorkflowID
		}
		if out.DemoForgotten, err = tx.Demo().ForgetWorkflows(ctx, ids); err != nil {
			return err
		}
		companyIDs, leadIDs := demoIDs()
		if out.Leads, err = a.deleteDemoRecords(ctx, tx, actor, crm.Lead, leadIDs); err != nil {
			return err
		}
		out.Companies, err = a.deleteDemoRecords(ctx, tx, actor, crm.Company, companyIDs)
		return err
	})
	if err != nil {
		return DemoRemoved{}, crmError(err)
	}
	a.Log.Info("demo removed", "by", actor.Email, "workflows", out.Workflows, "runs", out.Runs, "leads", out.Leads)
	return out, nil
}

// deleteDemoRecords deletes those of the records ids that exist and says how many it deleted.
func (a *App) deleteDemoRecords(ctx context.Context, tx *store.Tx, actor *Actor, e crm.Entity, ids []string) (int, error) {
	n := 0
	for _, id := range ids {
		err := a.CRM.DeleteTx(ctx, tx, e, id, actor.Email)
		var nf *crm.NotFoundError
		switch {
		case errors.As(err, &nf):
			continue // deleted by hand, or never made
		case err != nil:
			return 0, err
		}
		n++
	}
	return n, nil
}

// DemoStatus reads what of the demo is installed and how far the manager got with it: the newest run of the
// lead workflow and its task.
func (a *App) DemoStatus(ctx context.Context, actor *Actor) (*Demo, error) {
	if err := requireManager(actor, "see the demo"); err != nil {
		return nil, err
	}
	d := &Demo{}
	rows, err := a.DB.Demo().Workflows(ctx, false)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		wf, err := a.DB.Workflows().Workflow(ctx, r.WorkflowID)
		if errors.Is(err, store.ErrNotFound) {
			continue // claimed by an install that has not made it (yet)
		}
		if err != nil {
			return nil, fmt.Errorf("read the demo workflow %s: %w", r.WorkflowID, err)
		}
		d.Workflows = append(d.Workflows, DemoWorkflow{ID: wf.ID, Name: wf.Name, Template: r.Template,
			TriggerEvent: wf.TriggerEvent, Enabled: wf.Enabled})
	}
	if d.Leads, err = a.demoLeads(ctx); err != nil {
		return nil, err
	}
	d.Installed = len(d.Workflows) == len(demoTemplates) && len(d.Leads) == len(demoLeads)
	d.Partly = !d.Installed && (len(d.Workflows) > 0 || len(d.Leads) > 0)
	if lw := d.LeadWorkflow(); lw != nil {
		if err := a.demoProgress(ctx, actor, d, lw.ID); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func (a *App) demoLeads(ctx context.Context) ([]DemoLead, error) {
	_, ids := demoIDs()
	var out []DemoLead
	for _, id := range ids {
		rec, err := a.CRM.Get(ctx, crm.Lead, id)
		var nf *crm.NotFoundError
		if errors.As(err, &nf) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read the demo lead %s: %w", id, err)
		}
		l := DemoLead{ID: id, Name: strings.TrimSpace(textOf(rec["firstName"]) + " " + textOf(rec["lastName"])),
			Email: textOf(rec["email"]), Phone: textOf(rec["phone"]), Status: textOf(rec["status"])}
		if c, ok := rec["company"].(map[string]any); ok {
			l.Company = textOf(c["name"])
		}
		out = append(out, l)
	}
	return out, nil
}

// demoProgress finds the newest run of the lead workflow and the task it made.
func (a *App) demoProgress(ctx context.Context, actor *Actor, d *Demo, workflowID string) error {
	runs, _, err := a.ListExecutions(ctx, actor, ExecutionFilter{WorkflowID: workflowID, Page: Page{Limit: 1}})
	if err != nil || len(runs) == 0 {
		return err
	}
	d.Run = &runs[0]
	ex, err := a.GetExecution(ctx, actor, d.Run.ID)
	if errors.Is(err, ErrNotFound) {
		d.Run = nil // removed a moment ago
		return nil
	}
	if err != nil {
		return err
	}
	d.Run = &ex.ExecutionSummary
	for i := range ex.Tasks {
		t := &ex.Tasks[i]
		if d.Task == nil || t.Status == "open" {
			d.Task = t
		}
	}
	for _, e := range ex.ExecutionLog {
		if e.StepID == "create_task" && e.Action == "completed" {
			d.Todo = true
		}
	}
	return nil
}
