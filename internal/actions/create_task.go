package actions

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/businesstime"
	"github.com/kitchenpantry/pantryflow/internal/expression"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// CreateTask creates a CRM to-do for a rep.
type CreateTask struct{ deps Deps }

var priorities = []string{"low", "medium", "high"}

// Spec implements Action.
func (CreateTask) Spec() workflow.ActionSpec {
	return workflow.ActionSpec{
		Outputs: []string{"taskId", "assignee", "priority", "dueDate", "status", "completedAt", "completedBy"},
		Name:    "create_task", Title: "Create a CRM task",
		Description: "Adds a to-do to a rep's task list in the CRM.",
		Params: []workflow.ParamSpec{
			{Name: "title", Kind: workflow.ParamText, Required: true, Description: "what the rep should do"},
			{Name: "description", Kind: workflow.ParamText, Description: "details for the rep"},
			{Name: "assignee", Kind: workflow.ParamEmail, Required: true, Description: "the rep's email, for example {{lead.assignedTo}}"},
			{Name: "priority", Kind: workflow.ParamEnum, Options: priorities, Description: "low, medium (the default) or high"},
			{Name: "dueDate", Kind: workflow.ParamDate, Description: `when it is due: a date, "+2 days", or "+2 business days" in the assignee's working hours`},
			{Name: "relatedType", Kind: workflow.ParamEnum, Options: relatedKinds, Description: "the kind of record the to-do is about (lead, contact, company, opportunity); the run's own record when left out"},
			{Name: "relatedId", Kind: workflow.ParamText, Description: "the id of that record, for example {{lead.id}}"},
			{Name: "wait", Kind: workflow.ParamBool, Description: "wait until the rep has done the to-do before going on; the step's output is then the done to-do"},
		},
	}
}

// Run implements Action.
func (a CreateTask) Run(ctx context.Context, in Input) (Result, error) {
	title, err := requiredText("create_task", in.Params, "title")
	if err != nil {
		return Result{}, err
	}
	email, err := emailAddress("create_task", "assignee", in.Params)
	if err != nil {
		return Result{}, err
	}
	user, err := a.deps.Directory.UserByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		return Result{}, workflow.Permanent(workflow.ClassValidation, fmt.Errorf("create_task: assignee %q is not a Pantryflow user", email))
	}
	if err != nil {
		return Result{}, workflow.Transient(workflow.ClassOther, err)
	}
	priority := text(in.Params, "priority")
	if priority == "" {
		priority = "medium"
	}
	if !slices.Contains(priorities, priority) {
		// A rendered value is only known now; the table's CHECK would otherwise fail the whole commit.
		return Result{}, workflow.Permanent(workflow.ClassValidation, fmt.Errorf("create_task: priority %q is not low, medium or high", priority))
	}
	var due *time.Time
	if s := text(in.Params, "dueDate"); s != "" {
		raw, err := a.deps.Directory.WorkingCalendar(ctx, user.ID)
		if err != nil {
			return Result{}, workflow.Transient(workflow.ClassOther, err)
		}
		cal, err := businesstime.Parse(raw)
		if err != nil {
			return Result{}, workflow.Transient(workflow.ClassOther, err)
		}
		t, err := expression.ParseDateIn(cal, s, in.Now)
		if err != nil {
			return Result{}, workflow.Permanent(workflow.ClassValidation, fmt.Errorf("create_task: dueDate: %w", err))
		}
		due = &t
	}
	relType, relID := relatedRecord(in)
	if relID != "" && !slices.Contains(relatedKinds, relType) {
		return Result{}, workflow.Permanent(workflow.ClassValidation, fmt.Errorf("create_task: relatedType %q is not lead, contact, company or opportunity", relType))
	}
	key := in.IdempotencyKey
	execID := in.ExecutionID
	task := &store.CRMTask{
		ID: a.deps.NewID(), Title: title, Description: text(in.Params, "description"), AssigneeID: &user.ID,
		Priority: priority, DueAt: due, Status: "open", ExecutionID: &execID, StepID: in.StepID,
		IdempotencyKey: &key, CreatedAt: in.Now, UpdatedAt: in.Now,
	}
	if relID != "" {
		task.RelatedType, task.RelatedID = &relType, &relID
	}
	out := map[string]any{"taskId": task.ID, "assignee": email, "priority": priority}
	msg := fmt.Sprintf("Created task %q for %s", title, email)
	if due != nil {
		out["dueDate"] = due.UTC().Format(time.RFC3339)
		msg += ", due " + due.UTC().Format("2 Jan 2006 15:04 UTC")
	}
	wait, err := boolParam("create_task", in.Params, "wait")
	if err != nil {
		return Result{}, err
	}
	if in.Test {
		would := fmt.Sprintf("would create task %q for %s", title, email)
		if wait {
			would += " and wait until it is done"
		}
		return recorded(Result{Message: would}, map[string]any{"task": out}), nil
	}
	res := Result{
		Output: out, Message: msg,
		Effects: []store.Effect{store.InsertOnce{Row: task, UniqueColumn: "idempotency_key"}},
	}
	if wait {
		res.WaitForTodo, res.Message = task.ID, msg+"; waiting until it is done"
	}
	return res, nil
}

// relatedKinds are the records a to-do may belong to.
var relatedKinds = []string{"lead", "contact", "company", "opportunity"}

// relatedRecord is the record a to-do belongs to: the one its parameters name, else the run's own record (the
// first of lead, opportunity, contact, company among its variables that has an id), so a workflow's to-do
// shows on the page of the lead it is about without a word in the definition.
func relatedRecord(in Input) (string, string) {
	if id := text(in.Params, "relatedId"); id != "" {
		kind := text(in.Params, "relatedType")
		if kind == "" {
			kind = "lead"
		}
		return kind, id
	}
	for _, kind := range []string{"lead", "opportunity", "contact", "company"} {
		if rec, ok := in.Vars[kind].(map[string]any); ok {
			if id, ok := rec["id"].(string); ok && id != "" {
				return kind, id
			}
		}
	}
	return "", ""
}
