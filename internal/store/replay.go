package store

import (
	"context"
	"fmt"
	"time"
)

// ReplaySource is a past run as a replay of a draft needs it: what it started with and how its human tasks
// were answered.
type ReplaySource struct {
	ID        string
	Version   int
	Status    string
	StartedAt time.Time
	StartedBy string
	// Input is the variables it started with; nil for a run older than the column, whose Variables (as
	// they were last) stand in.
	Input     JSON
	Variables JSON
	// Answered are its completed human tasks, oldest first.
	Answered []HumanTask
}

// ReplaySources reads the last n runs of a workflow, newest first, test runs left out, with the answers
// of their completed human tasks: two queries however many runs.
func (r Executions) ReplaySources(ctx context.Context, workflowID string, n int) ([]ReplaySource, error) {
	var rows []Execution
	err := r.q(ctx).Select("id", "workflow_version", "status", "started_at", "started_by", "input", "variables").
		Where("workflow_id = ? AND test = ?", workflowID, false).Order("started_at DESC, id DESC").Limit(n).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("load the last %d runs of %s: %w", n, workflowID, err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	out := make([]ReplaySource, len(rows))
	at := make(map[string]int, len(rows))
	ids := make([]string, len(rows))
	for i, e := range rows {
		out[i] = ReplaySource{ID: e.ID, Version: e.WorkflowVersion, Status: e.Status, StartedAt: e.StartedAt,
			StartedBy: e.StartedBy, Input: e.Input, Variables: e.Variables}
		at[e.ID], ids[i] = i, e.ID
	}
	var tasks []HumanTask
	err = r.q(ctx).Select("execution_id", "step_id", "values", "created_at", "completed_at").
		Where("execution_id IN ? AND status = ?", ids, taskCompleted).Order("created_at").Find(&tasks).Error
	if err != nil {
		return nil, fmt.Errorf("load the answers of the last %d runs of %s: %w", n, workflowID, err)
	}
	for _, t := range tasks {
		s := &out[at[t.ExecutionID]]
		s.Answered = append(s.Answered, t)
	}
	return out, nil
}

// StepTimes is how long each step of these runs took on average, over its completed log entries that
// recorded a duration.
func (r Executions) StepTimes(ctx context.Context, executionIDs []string) (map[string]time.Duration, error) {
	out := map[string]time.Duration{}
	if len(executionIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		StepID string
		Ms     float64
	}
	err := r.q(ctx).Model(&LogRow{}).Select("step_id, AVG(duration_ms) AS ms").
		Where("execution_id IN ? AND action = ? AND duration_ms IS NOT NULL", executionIDs, "completed").
		Group("step_id").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("average the step times of %d runs: %w", len(executionIDs), err)
	}
	for _, row := range rows {
		out[row.StepID] = time.Duration(row.Ms * float64(time.Millisecond))
	}
	return out, nil
}
