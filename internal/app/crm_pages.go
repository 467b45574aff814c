package app

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/crm"
	"github.com/kitchenpantry/pantryflow/internal/forms"
	"github.com/kitchenpantry/pantryflow/internal/store"
)

// The CRM pages' questions beyond reading and saving one record (crm.go): whom a record can be given to,
// which companies and contacts to pick from, and what a record's changes set off.

// maxChoices bounds the options of a select; a longer list is no use in a select anyway.
const maxChoices = 1000

// Choice is one option of a select: the value sent and the label shown.
type Choice = forms.Choice

// FormChoices are the options a CRM form offers.
type FormChoices struct {
	People    []Choice // users who can sign in, by email
	Companies []Choice // by id
	Contacts  []Choice // by id; opportunities only
}

// FormChoices lists the people, companies and (for opportunities) contacts a form of entity offers.
func (a *App) FormChoices(ctx context.Context, actor *Actor, e crm.Entity) (*FormChoices, error) {
	if err := requireRep(actor, "see CRM records"); err != nil {
		return nil, err
	}
	var out *FormChoices
	err := a.DB.Snapshot(ctx, func(tx *store.Tx) error {
		var err error
		out, err = formChoices(ctx, tx, scopeOf(actor), e)
		return err
	})
	return out, err
}

// formChoices offers everyone who can sign in, and the companies and contacts the actor may see.
func formChoices(ctx context.Context, tx *store.Tx, scope readScope, e crm.Entity) (*FormChoices, error) {
	out := &FormChoices{}
	users, err := tx.Users().People(ctx, maxChoices)
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		label := u.Email
		if u.Name != "" && u.Name != u.Email {
			label = u.Name + " (" + u.Email + ")"
		}
		out.People = append(out.People, Choice{Value: u.Email, Label: label})
	}
	companies, err := tx.CRM().CompanyChoices(ctx, scope.rows(), maxChoices)
	if err != nil {
		return nil, err
	}
	for _, c := range companies {
		out.Companies = append(out.Companies, Choice{Value: c.ID, Label: c.Name})
	}
	if e == crm.Opportunity {
		contacts, err := tx.CRM().ContactChoices(ctx, scope.rows(), maxChoices)
		if err != nil {
			return nil, err
		}
		for _, c := range contacts {
			label := strings.TrimSpace(c.FirstName + " " + c.LastName)
			if c.Email != "" {
				label += " (" + c.Email + ")"
			}
			out.Contacts = append(out.Contacts, Choice{Value: c.ID, Label: label})
		}
	}
	return out, nil
}

// SaveRecord creates (id == "") or changes a lead or an opportunity. A company typed in by name
// (newCompany) is the existing company of that name the actor may see, or a new one (a rep's own) created
// in the same transaction as the record: a record that does not validate leaves no company behind, and
// every problem comes back at once, the company's under the path "newCompany".
func (a *App) SaveRecord(ctx context.Context, actor *Actor, e crm.Entity, id string, data map[string]any, newCompany string) (crm.Record, error) {
	newCompany = strings.TrimSpace(newCompany)
	if newCompany == "" {
		if id == "" {
			return a.CreateRecord(ctx, actor, e, data)
		}
		return a.UpdateRecord(ctx, actor, e, id, data)
	}
	if err := requireRep(actor, "change CRM records"); err != nil {
		return nil, err
	}
	scope := scopeOf(actor)
	svc := scope.crm(a.CRM)
	company := scope.ownNew(map[string]any{"name": newCompany})
	if err := svc.Check(ctx, string(crm.Company), "", company); err != nil {
		// Say what is wrong with the record too, not only with the company's name.
		rest := make(map[string]any, len(data))
		for k, v := range data {
			if k != "companyId" {
				rest[k] = v
			}
		}
		return nil, joinProblems(e, crmError(err), crmError(svc.Check(ctx, string(e), id, rest)))
	}
	data = maps.Clone(data) // companyId is set below; the caller's map stays as it was
	var rec crm.Record
	err := a.DB.Tx(ctx, func(tx *store.Tx) error {
		existing, err := tx.CRM().CompanyNamed(ctx, scope.rows(), newCompany)
		switch {
		case err == nil:
			data["companyId"] = existing.ID
		case errors.Is(err, store.ErrNotFound):
			c, err := svc.CreateTx(ctx, tx, string(crm.Company), a.CRM.NewID(), company, actor.Email)
			if err != nil {
				return err
			}
			data["companyId"] = c["id"]
		default:
			return err
		}
		if id == "" {
			rec, err = svc.CreateTx(ctx, tx, string(e), a.CRM.NewID(), scope.ownNew(data), actor.Email)
		} else {
			rec, err = svc.UpdateTx(ctx, tx, string(e), id, data, actor.Email)
		}
		return err
	})
	return rec, crmError(err)
}

// joinProblems merges the company's problems (renamed to newCompany) with the record's.
func joinProblems(e crm.Entity, companyErr, recordErr error) error {
	var cv, rv *ValidationError
	if !errors.As(companyErr, &cv) {
		return companyErr
	}
	var details []Detail
	for _, d := range cv.Details {
		details = append(details, Detail{Path: "newCompany", Message: d.Message})
	}
	switch {
	case errors.As(recordErr, &rv):
		details = append(details, rv.Details...)
	case recordErr != nil:
		return recordErr
	}
	msg := fmt.Sprintf("the %s has %d problems; nothing was saved", e, len(details))
	if len(details) == 1 {
		msg = fmt.Sprintf("the %s has 1 problem; nothing was saved", e)
	}
	return &ValidationError{Message: msg, Details: details}
}

// RecordEvent is one change of a CRM record.
type RecordEvent struct {
	Type string // lead_created, lead_updated, lead_qualified, …
	By   string // a user's email, or "workflow <id>"
	At   time.Time
}

// RecordRun is what one event of a record did to one workflow: the run it started, or why it started none.
type RecordRun struct {
	Event        string // the event's type
	WorkflowID   string
	WorkflowName string
	Delivery     string // started, filtered (the trigger's filter said no) or rejected (the record did not fit)
	Reason       string
	At           time.Time
	Execution    *ExecutionSummary // the run, when one started and still exists
}

// RecordActivity is what happened to a CRM record lately and which workflows its changes started.
type RecordActivity struct {
	Events []RecordEvent // newest first
	Runs   []RecordRun   // newest first
	// Pending says a change is still being matched with the workflows it starts (its dispatch job has not
	// run yet): more runs may appear in a moment.
	Pending bool
	// LastChange is when the record last changed (zero when no change is recorded).
	LastChange time.Time
}

// recentActivity bounds the events and runs a record's page lists.
const recentActivity = 20

// RecordActivity lists the latest changes of a record the actor may see and the workflow runs they started,
// newest first: for a rep, only the runs they may read.
func (a *App) RecordActivity(ctx context.Context, actor *Actor, e crm.Entity, id string) (*RecordActivity, error) {
	if _, err := a.GetRecord(ctx, actor, e, id); err != nil {
		return nil, err
	}
	return a.recordActivity(ctx, scopeOf(actor), e, id)
}

func (a *App) recordActivity(ctx context.Context, scope readScope, e crm.Entity, id string) (*RecordActivity, error) {
	var out *RecordActivity
	err := a.DB.Snapshot(ctx, func(tx *store.Tx) error {
		var err error
		out, err = recordActivityTx(ctx, tx, scope, e, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, r := range out.Runs {
		if r.Execution != nil {
			a.nameCurrentStep(ctx, r.Execution)
		}
	}
	return out, nil
}

func recordActivityTx(ctx context.Context, tx *store.Tx, scope readScope, e crm.Entity, id string) (*RecordActivity, error) {
	out := &RecordActivity{}
	events, err := tx.CRM().RecordEvents(ctx, string(e), id, recentActivity)
	if err != nil {
		return nil, err
	}
	for i, ev := range events {
		if i == 0 {
			out.LastChange = ev.CreatedAt
		}
		out.Pending = out.Pending || ev.DispatchedAt == nil
		out.Events = append(out.Events, RecordEvent{Type: ev.Type, By: ev.CreatedBy, At: ev.CreatedAt})
	}

	deliveries, err := tx.CRM().RecordDeliveries(ctx, string(e), id, recentActivity)
	if err != nil {
		return nil, err
	}
	var execIDs []string
	for _, d := range deliveries {
		if d.ExecutionID != nil {
			execIDs = append(execIDs, *d.ExecutionID)
		}
	}
	runs := map[string]*store.ExecutionListRow{}
	if len(execIDs) > 0 {
		rows, err := tx.Executions().ExecutionsByID(ctx, scope.rows(), execIDs)
		if err != nil {
			return nil, fmt.Errorf("load runs started by %s %s: %w", e, id, err)
		}
		for i := range rows {
			runs[rows[i].ID] = &rows[i]
		}
	}
	names, err := tx.Workflows().Names(ctx)
	if err != nil {
		return nil, err
	}
	for _, d := range deliveries {
		r := RecordRun{Event: d.EventType, WorkflowID: d.WorkflowID, WorkflowName: names[d.WorkflowID],
			Delivery: d.Status, Reason: d.Reason, At: d.CreatedAt}
		if r.WorkflowName == "" {
			r.WorkflowName = d.WorkflowID
		}
		if d.ExecutionID != nil {
			x, ok := runs[*d.ExecutionID]
			if !ok && !scope.all {
				continue // a run the rep may not read (or one deleted since): not theirs to see
			}
			if ok {
				s := summaryOf(x, r.WorkflowName)
				r.Execution = &s
			}
		}
		out.Runs = append(out.Runs, r)
	}
	// And the runs about the record that no change of it started: started by hand with it, or by another
	// record's event whose workflow is about this one.
	about, _, err := tx.Executions().ListExecutions(ctx, scope.rows(), store.ExecutionFilter{SubjectEntity: string(e), SubjectID: id, Limit: recentActivity})
	if err != nil {
		return nil, fmt.Errorf("load runs about %s %s: %w", e, id, err)
	}
	for i := range about {
		if _, shown := runs[about[i].ID]; shown {
			continue
		}
		name := names[about[i].WorkflowID]
		s := summaryOf(&about[i], name)
		out.Runs = append(out.Runs, RecordRun{WorkflowID: s.WorkflowID, WorkflowName: name, Delivery: "started", At: s.StartedAt, Execution: &s})
	}
	slices.SortStableFunc(out.Runs, func(a, b RecordRun) int { return b.At.Compare(a.At) })
	var summaries []ExecutionSummary
	for _, r := range out.Runs {
		if r.Execution != nil {
			summaries = append(summaries, *r.Execution)
		}
	}
	if err := hideInSummaries(ctx, tx.Tasks(), scope, summaries); err != nil {
		return nil, err
	}
	n := 0
	for i := range out.Runs {
		if out.Runs[i].Execution != nil {
			*out.Runs[i].Execution = summaries[n]
			n++
		}
	}
	return out, nil
}

// RecordPage is everything a lead's or an opportunity's page shows.
type RecordPage struct {
	Record   crm.Record
	Activity *RecordActivity
	Todos    []crm.Record // its open CRM to-dos, soonest due first
	Choices  *FormChoices
	// Journey is every run, step, mail, task and field change that touched the record, newest first.
	Journey []JourneyEntry
}

// maxTodos bounds the to-dos a record's page lists.
const maxTodos = 20

// RecordPage reads a record with its recent activity, its open to-dos and the choices of its form.
func (a *App) RecordPage(ctx context.Context, actor *Actor, e crm.Entity, id string) (*RecordPage, error) {
	rec, err := a.GetRecord(ctx, actor, e, id)
	if err != nil {
		return nil, err
	}
	out := &RecordPage{Record: rec}
	if out.Activity, err = a.recordActivity(ctx, scopeOf(actor), e, id); err != nil {
		return nil, err
	}
	out.Todos, _, err = a.ListRecords(ctx, actor, crm.Task, RecordFilter{Page: Page{Limit: maxTodos},
		Fields: map[string]string{"relatedType": string(e), "relatedId": id, "status": "open"}})
	if err != nil {
		return nil, err
	}
	if out.Choices, err = a.FormChoices(ctx, actor, e); err != nil {
		return nil, err
	}
	if e == crm.Lead || e == crm.Opportunity {
		if out.Journey, err = a.Journey(ctx, actor, e, id); err != nil {
			return nil, err
		}
	}
	keepLinked(out.Choices, rec)
	return out, nil
}

// keepLinked adds the company and contact a record points at to its form's choices when they are not there
// (another owner's, or past the first thousand), with their names, so saving the form keeps them.
func keepLinked(ch *FormChoices, rec crm.Record) {
	has := func(list []Choice, id string) bool {
		for _, c := range list {
			if c.Value == id {
				return true
			}
		}
		return false
	}
	if c, ok := rec["company"].(crm.Record); ok {
		if id, _ := c["id"].(string); id != "" && !has(ch.Companies, id) {
			name, _ := c["name"].(string)
			ch.Companies = append(ch.Companies, Choice{Value: id, Label: name})
		}
	}
	if c, ok := rec["contact"].(crm.Record); ok {
		if id, _ := c["id"].(string); id != "" && !has(ch.Contacts, id) {
			first, _ := c["firstName"].(string)
			last, _ := c["lastName"].(string)
			ch.Contacts = append(ch.Contacts, Choice{Value: id, Label: strings.TrimSpace(first + " " + last)})
		}
	}
}
