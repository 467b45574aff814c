package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// DemoWorkflow is the workflow a built-in template became when a manager installed the demo.
type DemoWorkflow struct {
	Template   string `gorm:"primaryKey"`
	WorkflowID string
	CreatedBy  string
	CreatedAt  time.Time
}

// Demo is the demo's record of the workflows it installed; removing the demo deletes them with everything
// their runs left behind.
type Demo struct{ repo }

func (db *DB) Demo() Demo { return Demo{db.repo()} }
func (tx *Tx) Demo() Demo { return Demo{tx.repo()} }

// Claim records that row's template becomes the workflow row.WorkflowID, unless the template has a workflow
// already, and returns the one the template has: two installs at once agree on one workflow id.
func (r Demo) Claim(ctx context.Context, row *DemoWorkflow) (*DemoWorkflow, error) {
	if err := r.q(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(row).Error; err != nil {
		return nil, fmt.Errorf("record the demo workflow of %s: %w", row.Template, err)
	}
	var got DemoWorkflow
	if err := r.q(ctx).Where("template = ?", row.Template).Take(&got).Error; err != nil {
		return nil, fmt.Errorf("read the demo workflow of %s: %w", row.Template, err)
	}
	return &got, nil
}

// Workflows lists the demo's workflows by template. lock takes their row locks on PostgreSQL (SQLite has one
// writer anyway), so an install and a removal at once happen one after the other.
func (r Demo) Workflows(ctx context.Context, lock bool) ([]DemoWorkflow, error) {
	q := r.q(ctx)
	if lock && r.dialect == Postgres {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var rows []DemoWorkflow
	if err := q.Order("template").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read the demo workflows: %w", err)
	}
	return rows, nil
}

// DemoForgotten counts what ForgetWorkflows deleted.
type DemoForgotten struct {
	Workflows, Runs, Tasks, Mails, Todos int64
}

// ForgetWorkflows deletes workflows with everything of theirs: their runs (with each run's log, tasks and
// task holders, ON DELETE CASCADE), the mails and CRM to-dos the runs made, their metrics, their versions and
// triggers (ON DELETE CASCADE), and their demo rows. Call it inside a transaction.
//
// On PostgreSQL the workflows' rows are locked first, so a run that starts meanwhile waits and then fails on
// its foreign key instead of outliving its workflow, and the metrics watermarks are touched, so a metrics pass
// that read the runs before this commits fails its serialization check and folds nothing of them. A job of a
// deleted run finds no execution and ends (engine.worker), and a mail's delivery finds no mail and is
// cancelled (mailer).
func (r Demo) ForgetWorkflows(ctx context.Context, ids []string) (DemoForgotten, error) {
	var out DemoForgotten
	if len(ids) == 0 {
		return out, nil
	}
	q := r.q(ctx)
	if r.dialect == Postgres {
		var locked []string
		if err := q.Model(&Workflow{}).Clauses(clause.Locking{Strength: "UPDATE"}).Where("id IN ?", ids).Pluck("id", &locked).Error; err != nil {
			return out, fmt.Errorf("lock the demo workflows: %w", err)
		}
		if err := q.Exec("UPDATE analytics_watermarks SET position = position").Error; err != nil {
			return out, fmt.Errorf("hold the metrics back while the demo goes: %w", err)
		}
	}
	runs := q.Model(&Execution{}).Select("id").Where("workflow_id IN ?", ids)
	tasks := q.Model(&HumanTask{}).Select("id").Where("workflow_id IN ?", ids)
	steps := []struct {
		what  string
		count *int64
		del   func() *gorm.DB
	}{
		{"task notifications", nil, func() *gorm.DB {
			return q.Exec("DELETE FROM pending_notifications WHERE task_id IN (?)", tasks)
		}},
		{"mails", &out.Mails, func() *gorm.DB { return q.Where("execution_id IN (?)", runs).Delete(&Mail{}) }},
		{"to-dos", &out.Todos, func() *gorm.DB { return q.Where("execution_id IN (?)", runs).Delete(&CRMTask{}) }},
		{"run metrics", nil, func() *gorm.DB { return q.Where("workflow_id IN ?", ids).Delete(&AnalyticsExecution{}) }},
		{"hourly run metrics", nil, func() *gorm.DB { return q.Where("workflow_id IN ?", ids).Delete(&AnalyticsRunHour{}) }},
		{"hourly step metrics", nil, func() *gorm.DB { return q.Where("workflow_id IN ?", ids).Delete(&AnalyticsStepHour{}) }},
		{"tasks", &out.Tasks, func() *gorm.DB { return q.Where("workflow_id IN ?", ids).Delete(&HumanTask{}) }},
		{"runs", &out.Runs, func() *gorm.DB { return q.Where("workflow_id IN ?", ids).Delete(&Execution{}) }},
		{"workflows", &out.Workflows, func() *gorm.DB { return q.Where("id IN ?", ids).Delete(&Workflow{}) }},
		{"demo rows", nil, func() *gorm.DB { return q.Where("workflow_id IN ?", ids).Delete(&DemoWorkflow{}) }},
	}
	for _, s := range steps {
		res := s.del()
		if res.Error != nil {
			return out, fmt.Errorf("delete the demo workflows' %s: %w", s.what, res.Error)
		}
		if s.count != nil {
			*s.count = res.RowsAffected
		}
	}
	return out, nil
}
