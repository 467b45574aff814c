package app

import (
	"context"
	"slices"

	"github.com/kitchenpantry/pantryflow/internal/words"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// TaskAbout is what a task's page says besides the task: whom it is about, and what the run did so far, so
// a rep between calls knows whom to call without opening the run.
type TaskAbout struct {
	WorkflowName string
	// Record is the customer the run is about, as the run holds it; nil when the workflow is about none.
	Record *RecordCard
	// SoFar says the steps the run has done, in one line: "Send Welcome Email, Wait 3 Days and Check Lead
	// Engagement done"; "" when none is.
	SoFar string
}

// RecordCard is a CRM record in a few words: its name, company, email and phone, and its page.
type RecordCard = workflow.RecordCard

// recordPages are the CRM pages by record kind.
var recordPages = map[string]string{"lead": "/crm/leads/", "opportunity": "/crm/opportunities/"}

// AboutTask reads what a task's page says about its run: the workflow's name, the record, the steps done.
func (a *App) AboutTask(ctx context.Context, actor *Actor, t *TaskView) (TaskAbout, error) {
	e, err := a.GetExecution(ctx, actor, t.ExecutionID)
	if err != nil {
		return TaskAbout{}, err
	}
	about := TaskAbout{WorkflowName: e.WorkflowName}
	if def, err := a.GetDefinition(ctx, e.WorkflowID, e.WorkflowVersion); err == nil {
		if kind := RecordEntity(def); kind != "" {
			about.Record = withPage(workflow.CardOf(kind, e.Variables))
		}
	}
	var done []string
	for _, l := range e.ExecutionLog {
		if l.Action == workflow.LogCompleted && l.StepID != t.StepID && !slices.Contains(done, l.StepName) && l.StepName != "" {
			done = append(done, l.StepName)
		}
	}
	if len(done) > 0 {
		about.SoFar = words.List(done) + " done"
	}
	return about, nil
}

// withPage adds the record's CRM page to its card, for kinds that have one.
func withPage(c *RecordCard) *RecordCard {
	if c == nil || c.ID == "" {
		return c
	}
	if p, ok := recordPages[c.Kind]; ok {
		c.Page = p + c.ID
	}
	return c
}
