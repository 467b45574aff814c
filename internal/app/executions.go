package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/internal/engine"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// ExecutionView is the seed's WorkflowExecution plus the version it runs on, when it next wakes, its step
// outputs and its open tasks.
type ExecutionView struct {
	ExecutionSummary
	Variables    map[string]any      `json:"variables"`
	StepOutputs  map[string]any      `json:"stepOutputs"`
	ExecutionLog []workflow.LogEntry `json:"executionLog"`
	FailedStep   string              `json:"failedStep,omitempty"`
	Trigger      TriggerInfo         `json:"trigger"`
	Tasks        []TaskView          `json:"tasks"`
	// Todos are the CRM to-dos the run made (create_task); Waiting marks the ones a step waits for.
	Todos    []RunTodo    `json:"todos"`
	Branches []BranchView `json:"branches"`
	// Changes are what people changed in the run besides running it (edits, refreshes, retries from a
	// step, skips), oldest first, with who, when, and the values before and after.
	Changes []RunChange `json:"changes"`
}

// RunTodo is a CRM to-do a run made.
type RunTodo struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Status   string `json:"status"`
	Assignee string `json:"assignee,omitempty"`
	// Waiting says a step of the run waits until the to-do is done.
	Waiting bool `json:"waiting,omitempty"`
}

// TriggerInfo says how an execution started.
type TriggerInfo struct {
	Type      string `json:"type"`
	Ref       string `json:"ref,omitempty"`
	StartedBy string `json:"startedBy,omitempty"`
}

// ExecutionSummary is an execution in a list.
type ExecutionSummary struct {
	ID              string     `json:"id"`
	WorkflowID      string     `json:"workflowId"`
	WorkflowName    string     `json:"workflowName"`
	WorkflowVersion int        `json:"workflowVersion"`
	Status          string     `json:"status"`
	StartedAt       time.Time  `json:"startedAt"`
	CompletedAt     *time.Time `json:"completedAt,omitempty"`
	CurrentStep     string     `json:"currentStep,omitempty"`
	// CurrentStepName is the current step's name, as people read it.
	CurrentStepName string     `json:"currentStepName,omitempty"`
	Error           string     `json:"error,omitempty"`
	WaitingUntil    *time.Time `json:"waitingUntil,omitempty"`
	// Test marks a designer's test run.
	Test bool `json:"test,omitempty"`
	// Subject is the record the run is about; Keys its business keys by name (the workflow's businessKeys).
	Subject *Subject          `json:"subject,omitempty"`
	Keys    map[string]string `json:"keys,omitempty"`
}

// Subject is the record a run is about: its entity (lead, opportunity, …), id and name as people read it,
// and its CRM page when it has one.
type Subject struct {
	Entity string `json:"entity"`
	ID     string `json:"id"`
	Label  string `json:"label"`
	Page   string `json:"page,omitempty"`
}

// ExecutionFilter narrows an execution list.
type ExecutionFilter struct {
	WorkflowID string
	Status     string
	Since      time.Time
	Until      time.Time
	Page       Page
	// CountUpTo, when above 0, stops counting there, and the total is then at least CountUpTo: an exact
	// COUNT(*) of 100,000 executions reads the whole table on PostgreSQL until autovacuum has marked its
	// pages (60–110 ms), and a page only needs to know that there are more than it shows.
	CountUpTo int64
	// TestRuns is "" (the designer's test runs left out), "include" or "only" (ParseTestRuns).
	TestRuns string
	// Subject keeps the runs about one record, written entity:id ("lead:8f…").
	Subject string
	// Q keeps the runs whose record or business keys have words starting with each of its words.
	Q string
}

// ParseTestRuns reads how a list treats test runs: "" leaves them out, "include" and "only" as they say.
func ParseTestRuns(s string) (store.TestRuns, error) {
	switch t := store.TestRuns(s); t {
	case store.TestRunsLeftOut, store.TestRunsIncluded, store.TestRunsOnly:
		return t, nil
	}
	return "", &ValidationError{Message: "unknown test filter", Details: []Detail{{Path: "test",
		Message: fmt.Sprintf("test is %q; use include (test runs too) or only (test runs alone), or leave it out", s)}}}
}

// StartExecution starts the active version of a workflow with variables checked against the declared ones.
func (a *App) StartExecution(ctx context.Context, actor *Actor, workflowID string, vars map[string]any, meta engine.StartMeta) (string, error) {
	if err := requireManager(actor, "start workflows"); err != nil {
		return "", err
	}
	plan, err := a.activePlan(ctx, workflowID)
	if err != nil {
		return "", err
	}
	var id string
	err = a.createTx(ctx, func(tx *store.Tx) (any, error) {
		id, err = a.StartTx(ctx, tx, plan, vars, meta)
		return Started{ExecutionID: id}, err
	})
	return id, err
}

// Started is the answer to a start: the new execution's id.
type Started struct {
	ExecutionID string `json:"executionId"`
}

// StartTest starts a test run of any version, draft or not: actions record what they would do instead of
// doing it, and human tasks go to the person testing.
func (a *App) StartTest(ctx context.Context, actor *Actor, workflowID string, version int, vars map[string]any) (string, error) {
	if err := requireManager(actor, "test workflows"); err != nil {
		return "", err
	}
	plan, err := a.Engine.Plan(ctx, workflowID, version)
	if errors.Is(err, store.ErrNotFound) {
		return "", &Error{Kind: ErrNotFound, Message: fmt.Sprintf("workflow %q has no version %d", workflowID, version)}
	}
	if err != nil {
		return "", err
	}
	var id string
	err = a.DB.Tx(ctx, func(tx *store.Tx) error {
		id, err = a.StartTx(ctx, tx, plan, vars, engine.StartMeta{TriggerType: workflow.TriggerManual, StartedBy: actor.Email, Test: true})
		return err
	})
	return id, err
}

// StartTx starts an execution of plan inside tx; triggers use it to start runs in the transaction that
// claims their event, fire or delivery.
func (a *App) StartTx(ctx context.Context, tx *store.Tx, plan *workflow.Plan, vars map[string]any, meta engine.StartMeta) (string, error) {
	id, err := a.Engine.StartTx(ctx, tx, plan, vars, meta)
	var ferrs workflow.FieldErrors
	if errors.As(err, &ferrs) {
		return "", fieldsError("the variables do not fit the workflow; nothing was started", ferrs)
	}
	return id, err
}

// GetExecution returns one execution with its log, as the actor may see it: a run out of a rep's scope is
// not found, and in one they may read, other people's answers are hidden (hidden_answers.go).
func (a *App) GetExecution(ctx context.Context, actor *Actor, id string) (*ExecutionView, error) {
	var v *ExecutionView
	err := a.DB.Snapshot(ctx, func(tx *store.Tx) error {
		var err error
		v, err = a.executionView(ctx, tx, scopeOf(actor), id)
		return err
	})
	return v, err
}

func (a *App) executionView(ctx context.Context, tx *store.Tx, scope readScope, id string) (*ExecutionView, error) {
	var st engine.State
	d, err := tx.Executions().Detail(ctx, scope.rows(), id, &st)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &Error{Kind: ErrNotFound, Message: fmt.Sprintf("there is no execution %q", id)}
	}
	if err != nil {
		return nil, err
	}
	v := &ExecutionView{
		ExecutionSummary: summaryOf(&d.ExecutionListRow, d.WorkflowName), FailedStep: d.FailedStep,
		Trigger:   TriggerInfo{Type: d.TriggerType, Ref: d.TriggerRef, StartedBy: d.StartedBy},
		Variables: d.Variables, StepOutputs: d.Outputs, ExecutionLog: d.Log,
	}
	v.Branches = branchViews(st.Branches)
	changes, err := tx.Executions().Changes(ctx, id)
	if err != nil {
		return nil, err
	}
	v.Changes = runChanges(changes)
	if !scope.all {
		for i := range v.Changes { // the values are the manager's to read; a rep sees what was done
			v.Changes[i].Before, v.Changes[i].After = nil, nil
		}
	}
	now := a.Clock.Now()
	v.Tasks = make([]TaskView, 0, len(d.Tasks))
	for i := range d.Tasks {
		tv, err := taskView(&d.Tasks[i], now)
		if err != nil {
			return nil, err
		}
		v.Tasks = append(v.Tasks, tv)
	}
	if err := hideOthersAnswers(scope, d.Tasks, v); err != nil {
		return nil, err
	}
	todos, err := tx.CRM().TodosOfExecution(ctx, id)
	if err != nil {
		return nil, err
	}
	v.Todos = make([]RunTodo, len(todos))
	for i, t := range todos {
		v.Todos[i] = RunTodo{ID: t.ID, Title: t.Title, Status: t.Status, Assignee: t.Assignee,
			Waiting: slices.ContainsFunc(st.Branches, func(b engine.Branch) bool {
				return b.Wait == engine.WaitTodo && b.TodoID == t.ID && b.State == engine.BranchWaiting
			})}
	}
	return v, nil
}

// ListExecutions lists the executions the actor may read, newest first; the total counts only them.
func (a *App) ListExecutions(ctx context.Context, actor *Actor, f ExecutionFilter) ([]ExecutionSummary, int64, error) {
	page := f.Page.Normalize()
	scope := scopeOf(actor)
	if f.Status != "" && !validStatus(f.Status) {
		return nil, 0, &ValidationError{Message: "unknown status", Details: []Detail{{Path: "status",
			Message: fmt.Sprintf("%q is not a status; use running, paused, completed, failed or cancelled", f.Status)}}}
	}
	tests, err := ParseTestRuns(f.TestRuns)
	if err != nil {
		return nil, 0, err
	}
	sf := store.ExecutionFilter{WorkflowID: f.WorkflowID,
		Status: f.Status, Since: f.Since, Until: f.Until, Limit: page.Limit, Offset: page.Offset, CountUpTo: f.CountUpTo, TestRuns: tests,
		Query: f.Q}
	if sf.SubjectEntity, sf.SubjectID, err = parseSubject("subject", f.Subject); err != nil {
		return nil, 0, err
	}
	if len(f.Q) > 200 {
		return nil, 0, &ValidationError{Message: "search too long", Details: []Detail{{Path: "q",
			Message: fmt.Sprintf("the search is %d characters long; keep it under 200", len(f.Q))}}}
	}
	rows, total, err := a.DB.Executions().ListExecutions(ctx, scope.rows(), sf)
	if err != nil {
		return nil, 0, err
	}
	names, err := a.DB.Workflows().Names(ctx)
	if err != nil {
		return nil, 0, err
	}
	out := make([]ExecutionSummary, 0, len(rows))
	for i := range rows {
		s := summaryOf(&rows[i], names[rows[i].WorkflowID])
		a.nameCurrentStep(ctx, &s)
		out = append(out, s)
	}
	if err := hideInSummaries(ctx, a.DB.Tasks(), scope, out); err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// parseSubject reads a record filter written entity:id ("lead:8f3a…"); "" filters nothing. path names the
// field in the problem.
func parseSubject(path, s string) (entity, id string, err error) {
	if s == "" {
		return "", "", nil
	}
	entity, id, ok := strings.Cut(s, ":")
	if !ok || entity == "" || id == "" {
		return "", "", &ValidationError{Message: "unknown record filter", Details: []Detail{{Path: path,
			Message: fmt.Sprintf("%s is %q; write it as the record's kind and id, such as lead:8f3a…", path, s)}}}
	}
	return entity, id, nil
}

// stepName is a step's name in a version (the compiled plans are cached), or "" when it cannot be read.
// nameCurrentStep sets the summary's CurrentStepName, the name people read where the run is.
func (a *App) nameCurrentStep(ctx context.Context, s *ExecutionSummary) {
	s.CurrentStepName = a.stepName(ctx, s.WorkflowID, s.WorkflowVersion, s.CurrentStep)
}

func (a *App) stepName(ctx context.Context, workflowID string, version int, stepID string) string {
	if stepID == "" {
		return ""
	}
	plan, err := a.Engine.Plan(ctx, workflowID, version)
	if err != nil {
		return ""
	}
	if s := plan.Step(stepID); s != nil {
		return s.Name
	}
	return ""
}

func summaryOf(r *store.ExecutionListRow, workflowName string) ExecutionSummary {
	s := ExecutionSummary{ID: r.ID, WorkflowID: r.WorkflowID, WorkflowName: workflowName,
		WorkflowVersion: r.WorkflowVersion, Status: r.Status, StartedAt: r.StartedAt, CompletedAt: r.CompletedAt,
		CurrentStep: r.CurrentStep, Error: r.Error, WaitingUntil: r.WaitingUntil, Test: r.Test}
	if r.SubjectEntity != "" {
		s.Subject = &Subject{Entity: r.SubjectEntity, ID: r.SubjectID, Label: r.SubjectLabel}
		if p, ok := recordPages[r.SubjectEntity]; ok && r.SubjectID != "" {
			s.Subject.Page = p + r.SubjectID
		}
	}
	_ = r.BusinessKeys.Decode(&s.Keys) // a key column that does not decode shows no keys
	return s
}

func validStatus(s string) bool {
	for _, st := range workflow.ExecutionStatuses {
		if string(st) == s {
			return true
		}
	}
	return false
}

// CancelExecution stops a running or paused execution.
func (a *App) CancelExecution(ctx context.Context, actor *Actor, id string) error {
	if err := requireManager(actor, "cancel executions"); err != nil {
		return err
	}
	if err := operationError("cancel", a.Engine.Cancel(ctx, id, actor.Email)); err != nil {
		return err
	}
	a.audit(ctx, actor, "run cancelled", "execution", id, nil, nil)
	return nil
}

// WakeExecution ends an execution's delays now.
func (a *App) WakeExecution(ctx context.Context, actor *Actor, id string) error {
	if err := requireManager(actor, "wake executions"); err != nil {
		return err
	}
	if err := operationError("wake", a.Engine.Wake(ctx, id, actor.Email)); err != nil {
		return err
	}
	a.audit(ctx, actor, "run woken", "execution", id, nil, nil)
	return nil
}

// RetryExecution restarts a failed execution from its failed step.
func (a *App) RetryExecution(ctx context.Context, actor *Actor, id string) error {
	if err := requireManager(actor, "retry executions"); err != nil {
		return err
	}
	return a.RetryRun(ctx, actor, id, RetryRequest{})
}

func requireManager(actor *Actor, what string) error {
	if actor == nil || !actor.Role.AtLeast(auth.RoleManager) {
		return fail(ErrForbidden, "only managers can "+what)
	}
	return nil
}

func operationError(what string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return &Error{Kind: ErrNotFound, Message: "there is no such execution"}
	case errors.Is(err, engine.ErrFinished):
		return fail(ErrConflict, "the execution has already finished, so there is nothing to "+what)
	case errors.Is(err, engine.ErrNothingToWake):
		return fail(ErrConflict, "the execution is not waiting for a delay, so there is nothing to wake")
	case errors.Is(err, engine.ErrNotFailed):
		return fail(ErrConflict, "only a failed execution can be retried")
	}
	return err
}

// StepStates says where each step of an execution stands — completed, failed, skipped, running, waiting or
// halted — from its log and its branches; steps not reached are absent.
func StepStates(v *ExecutionView) map[string]string {
	states := map[string]string{}
	for _, le := range v.ExecutionLog {
		switch le.Action {
		case workflow.LogCompleted:
			states[le.StepID] = "completed"
		case workflow.LogFailed:
			states[le.StepID] = "failed"
		case workflow.LogSkipped:
			states[le.StepID] = "skipped"
		case workflow.LogStarted:
			states[le.StepID] = "running"
		}
	}
	for _, b := range v.Branches {
		switch engine.BranchState(b.State) {
		case engine.BranchReady:
			states[b.Step] = "running"
		case engine.BranchWaiting:
			states[b.Step] = "waiting"
		case engine.BranchHalted:
			states[b.Step] = "halted"
		case engine.BranchFailed:
			states[b.Step] = "failed"
		}
	}
	return states
}
