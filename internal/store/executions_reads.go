package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// The reads of executions the pages and the API make: lists, one run with its log and tasks, the runs a
// record's events started. Each is narrowed to what the reader may see (ReadScope); JSON columns come back
// decoded.

// ExecutionListRow is an execution as a list shows it.
type ExecutionListRow struct {
	ID              string
	WorkflowID      string
	WorkflowVersion int
	Status          string
	StartedAt       time.Time
	CompletedAt     *time.Time
	CurrentStep     string
	Error           string
	WaitingUntil    *time.Time
	Test            bool
	// The record the run is about ("" for none) and its business keys as JSON.
	SubjectEntity, SubjectID, SubjectLabel string
	BusinessKeys                           JSON
}

// ExecutionFilter narrows an execution list; zero fields do not narrow it.
type ExecutionFilter struct {
	WorkflowID    string
	Status        string
	Since, Until  time.Time // started at or after Since, before Until
	Limit, Offset int
	// CountUpTo, when above 0, stops counting there: the total is then at least CountUpTo when there are
	// more. An exact COUNT(*) of 100,000 executions reads the whole table on PostgreSQL.
	CountUpTo int64
	// TestRuns says whether the designer's test runs are left out (the default), included or the only ones.
	TestRuns TestRuns
	// SubjectEntity and SubjectID keep the runs about one record.
	SubjectEntity, SubjectID string
	// Query keeps the runs with, for each of its words, a search term that starts with it.
	Query string
}

// TestRuns is how a list treats the designer's test runs.
type TestRuns string

// The ways: leave them out (the default everywhere people read lists), include them, or list only them.
const (
	TestRunsLeftOut  TestRuns = ""
	TestRunsIncluded TestRuns = "include"
	TestRunsOnly     TestRuns = "only"
)

// executions narrows a query of executions (the table's own column test).
func (t TestRuns) executions(q *gorm.DB) *gorm.DB {
	switch t {
	case TestRunsIncluded:
		return q
	case TestRunsOnly:
		return q.Where("executions.test")
	}
	return q.Where("NOT executions.test")
}

// tasks narrows a query of human tasks by their own test column (their execution's, copied when the task
// was made); "NOT human_tasks.test" is the condition of the inbox's partial indexes.
func (t TestRuns) tasks(q *gorm.DB) *gorm.DB {
	switch t {
	case TestRunsIncluded:
		return q
	case TestRunsOnly:
		return q.Where("human_tasks.test")
	}
	return q.Where("NOT human_tasks.test")
}

// ExecutionDetail is one execution with its log and human tasks.
type ExecutionDetail struct {
	ExecutionListRow
	FailedStep   string
	TriggerType  string
	TriggerRef   string
	StartedBy    string
	WorkflowName string // "" when the workflow is gone
	Variables    map[string]any
	Outputs      map[string]any
	Log          []workflow.LogEntry // oldest first
	Tasks        []HumanTask         // oldest first
}

var listColumns = []string{"id", "workflow_id", "workflow_version", "status", "started_at", "completed_at",
	"current_step", "error", "waiting_until", "test", "subject_entity", "subject_id", "subject_label", "business_keys"}

func listRowOf(r *Execution) ExecutionListRow {
	return ExecutionListRow{ID: r.ID, WorkflowID: r.WorkflowID, WorkflowVersion: r.WorkflowVersion, Status: r.Status,
		StartedAt: r.StartedAt, CompletedAt: r.CompletedAt, CurrentStep: r.CurrentStep, Error: r.Error,
		WaitingUntil: r.WaitingUntil, Test: r.Test, SubjectEntity: r.SubjectEntity, SubjectID: r.SubjectID,
		SubjectLabel: r.SubjectLabel, BusinessKeys: r.BusinessKeys}
}

// ListExecutions lists the executions in scope that match f, newest first, and how many match in all.
func (r Executions) ListExecutions(ctx context.Context, scope ReadScope, f ExecutionFilter) ([]ExecutionListRow, int64, error) {
	q := scope.executions(r.q(ctx).Model(&Execution{}), "executions")
	q = f.TestRuns.executions(q)
	if f.WorkflowID != "" {
		q = q.Where("workflow_id = ?", f.WorkflowID)
	}
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if !f.Since.IsZero() {
		q = q.Where("started_at >= ?", f.Since)
	}
	if !f.Until.IsZero() {
		q = q.Where("started_at < ?", f.Until)
	}
	if f.SubjectEntity != "" {
		q = q.Where("subject_entity = ? AND subject_id = ?", f.SubjectEntity, f.SubjectID)
	}
	if words := queryWords(f.Query); len(words) > 0 {
		var err error
		if q, err = r.matching(ctx, q, words); err != nil {
			return nil, 0, err
		}
	}
	var total int64
	count := q
	if f.CountUpTo > 0 {
		count = r.q(ctx).Table("(?) AS upto", q.Session(&gorm.Session{}).Select("1").Limit(int(f.CountUpTo)))
	}
	if err := count.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count executions: %w", err)
	}
	var rows []Execution
	err := q.Select(listColumns).Order("started_at DESC, id DESC").Limit(f.Limit).Offset(f.Offset).Find(&rows).Error
	if err != nil {
		return nil, 0, fmt.Errorf("list executions: %w", err)
	}
	out := make([]ExecutionListRow, 0, len(rows))
	for i := range rows {
		out = append(out, listRowOf(&rows[i]))
	}
	return out, total, nil
}

// fewTerms is where a search word stops being selective: a word that starts fewer search terms than this
// picks the runs by the terms' index; others are checked run by run, newest first, as the page needs them.
const fewTerms = 1000

// matching narrows q to the executions with, for each word, a search term that starts with it. The word
// that starts the fewest terms (counted up to fewTerms) picks the candidates through the index of terms, and
// each other word is checked for each candidate: "lead 4242" reads the 11 runs with a term starting 4242,
// not the 100,000 whose name holds "lead".
func (r Executions) matching(ctx context.Context, q *gorm.DB, words []string) (*gorm.DB, error) {
	best, fewest := -1, int64(fewTerms)
	for i, w := range words {
		var n int64
		err := r.q(ctx).Table("(?) AS few", r.q(ctx).Model(&ExecutionTerm{}).Select("1").
			Where("term >= ? AND term < ?", w, w+afterPrefix).Limit(fewTerms)).Count(&n).Error
		if err != nil {
			return nil, fmt.Errorf("search executions: %w", err)
		}
		if n < fewest {
			best, fewest = i, n
		}
	}
	for i, w := range words {
		if i == best {
			q = q.Where("executions.id IN (?)", r.q(ctx).Model(&ExecutionTerm{}).Select("execution_id").
				Where("term >= ? AND term < ?", w, w+afterPrefix))
			continue
		}
		q = q.Where("EXISTS (SELECT 1 FROM execution_terms t WHERE t.execution_id = executions.id AND t.term >= ? AND t.term < ?)", w, w+afterPrefix)
	}
	return q, nil
}

// ExecutionsByID reads the executions in scope among ids (in no order); the ones out of scope or gone are
// left out. Test is not read: a run a record's event started is never a test run.
func (r Executions) ExecutionsByID(ctx context.Context, scope ReadScope, ids []string) ([]ExecutionListRow, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var rows []Execution
	q := r.q(ctx).Select("id", "workflow_id", "workflow_version", "status", "started_at", "completed_at", "current_step", "error",
		"waiting_until", "subject_entity", "subject_id", "subject_label", "business_keys")
	if err := scope.executions(q, "executions").Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]ExecutionListRow, 0, len(rows))
	for i := range rows {
		out = append(out, listRowOf(&rows[i]))
	}
	return out, nil
}

// Detail reads one execution in scope with its log, its tasks and its workflow's name, and decodes its
// state document into state (the engine's State; the store does not know its shape). An execution out of
// scope is ErrNotFound, like one that does not exist. Run it in a Snapshot so the parts agree.
func (r Executions) Detail(ctx context.Context, scope ReadScope, id string, state any) (*ExecutionDetail, error) {
	db := r.q(ctx)
	var row Execution
	err := scope.executions(db.Where("id = ?", id), "executions").Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("execution %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load execution %s: %w", id, err)
	}
	d := &ExecutionDetail{ExecutionListRow: listRowOf(&row), FailedStep: row.FailedStep, TriggerType: row.TriggerType,
		TriggerRef: row.TriggerRef, StartedBy: row.StartedBy}
	for _, part := range []struct {
		col JSON
		v   any
	}{{row.Variables, &d.Variables}, {row.Outputs, &d.Outputs}, {row.State, state}} {
		if err := part.col.Decode(part.v); err != nil {
			return nil, fmt.Errorf("execution %s: %w", id, err)
		}
	}
	var logRows []LogRow
	if err := db.Where("execution_id = ?", id).Order("id").Find(&logRows).Error; err != nil {
		return nil, fmt.Errorf("load log of execution %s: %w", id, err)
	}
	d.Log = make([]workflow.LogEntry, 0, len(logRows))
	for _, lr := range logRows {
		le := workflow.LogEntry{Timestamp: lr.Timestamp, StepID: lr.StepID, StepName: lr.StepName,
			Action: workflow.LogAction(lr.Action), Message: lr.Message, DurationMs: lr.DurationMs, Reason: lr.Reason}
		if len(lr.Data) > 0 {
			if err := lr.Data.Decode(&le.Data); err != nil {
				return nil, err
			}
		}
		d.Log = append(d.Log, le)
	}
	var wf Workflow
	if err := db.Select("name").Where("id = ?", row.WorkflowID).Take(&wf).Error; err == nil {
		d.WorkflowName = wf.Name
	}
	if err := db.Where("execution_id = ?", id).Order("created_at").Find(&d.Tasks).Error; err != nil {
		return nil, fmt.Errorf("load tasks of execution %s: %w", id, err)
	}
	return d, nil
}
