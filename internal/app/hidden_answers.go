package app

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// Inside a run a rep may read, what other people answered stays theirs. A task held by someone else shows
// its title, assignee and status, but not its form, description or answers. Wherever its answers went, the
// value reads "hidden: answered by <email>": the variables its form fields set, its step's output (a human
// task's output is its answers), the answers in the log entry of its completion, and any other value, log
// message or error of the run that repeats one of the answers (a later step may copy one into an email's
// subject or another variable). The API and the page show the same view.

// minRepeat is the shortest answer looked for elsewhere in a run: shorter ones ("yes", "10") turn up in too
// many unrelated values to mean anything.
const minRepeat = 4

func answeredBy(email string) string { return "hidden: answered by " + email }

func assignedTo(email string) string { return "hidden: assigned to " + email }

// othersAnswers is what other people answered in one run.
type othersAnswers struct {
	keys  map[string]string // variable (form field) → its mark
	steps map[string]string // step whose output is someone's answers → its mark
	texts map[string]string // an answer's text → its mark
	// done says, by step and completer, whether the completions logged there are the actor's own tasks
	// (true) or someone else's (false): the log entry of a completion is found by the two.
	done map[string]bool
}

func completionKey(step, by string) string { return step + "\x00" + by }

// hideOthersAnswers hides in v (a run the actor may read, with its tasks rows) what other people answered;
// managers and admins see everything.
func hideOthersAnswers(s readScope, rows []store.HumanTask, v *ExecutionView) error {
	if s.all {
		return nil
	}
	h, err := collectOthersAnswers(s, rows, v.Tasks)
	if err != nil {
		return err
	}
	h.hide(v)
	return nil
}

// collectOthersAnswers finds the tasks of a run that are not the actor's and hides their form, description
// and answers in views (views[i] is the view of rows[i]).
func collectOthersAnswers(s readScope, rows []store.HumanTask, views []TaskView) (*othersAnswers, error) {
	h := &othersAnswers{keys: map[string]string{}, steps: map[string]string{}, texts: map[string]string{}, done: map[string]bool{}}
	for i := range rows {
		row := &rows[i]
		completed := row.Status == string(workflow.TaskCompleted)
		key := completionKey(row.StepID, row.CompletedBy)
		if s.ownsTask(row) {
			if completed {
				if _, seen := h.done[key]; !seen {
					h.done[key] = true
				}
			}
			continue
		}
		mark := assignedTo(row.Assignee)
		if completed {
			mark = answeredBy(row.CompletedBy)
			h.done[key] = false // someone else's answers were logged there: hide whatever matches
		}
		views[i].Description, views[i].FormFields, views[i].Values, views[i].Hidden = "", []workflow.FormField{}, nil, mark
		if !completed {
			continue
		}
		var values map[string]any
		if err := row.Values.Decode(&values); err != nil {
			return nil, fmt.Errorf("task %s: %w", row.ID, err)
		}
		for k, v := range values {
			h.keys[k] = mark
			forEachText(v, func(text string) {
				if len(text) >= minRepeat {
					h.texts[text] = mark
				}
			})
		}
		h.steps[row.StepID] = mark
	}
	return h, nil
}

// repeats is the mark of an answer v repeats (the first in order, so a page does not flicker), or "".
func (h *othersAnswers) repeats(v any) string {
	mark := ""
	forEachText(v, func(text string) {
		for answer, m := range h.texts {
			if strings.Contains(text, answer) && (mark == "" || m < mark) {
				mark = m
			}
		}
	})
	return mark
}

// hide applies the hidden answers to a run's view.
func (h *othersAnswers) hide(v *ExecutionView) {
	for k, val := range v.Variables {
		if m, ok := h.keys[k]; ok {
			v.Variables[k] = m
		} else if m := h.repeats(val); m != "" {
			v.Variables[k] = m
		}
	}
	for step, out := range v.StepOutputs {
		if m, ok := h.steps[step]; ok {
			v.StepOutputs[step] = m
		} else if m := h.repeats(out); m != "" {
			v.StepOutputs[step] = m
		}
	}
	for i := range v.ExecutionLog {
		h.hideLogEntry(&v.ExecutionLog[i])
	}
	if m := h.repeats(v.Error); m != "" {
		v.Error = m
	}
	for i := range v.Tasks {
		t := &v.Tasks[i]
		if t.Hidden == "" {
			continue // the actor's own task: its title and description were written for them
		}
		if m := h.repeats(t.Title); m != "" {
			t.Title = m
		}
	}
}

// hideLogEntry hides the answers of a completion that is not the actor's own task (a completion no task
// of theirs accounts for is someone else's), and anything that repeats someone's answer.
func (h *othersAnswers) hideLogEntry(le *workflow.LogEntry) {
	data, _ := le.Data.(map[string]any)
	own := false
	if by, ok := data["completedBy"].(string); ok && le.Action == workflow.LogCompleted {
		if _, answered := data["values"]; answered {
			if own = h.done[completionKey(le.StepID, by)]; !own {
				data["values"] = answeredBy(by)
			}
		}
	}
	for k, val := range data {
		if k == "values" && own {
			continue // the actor's own answers
		}
		if m := h.repeats(val); m != "" {
			data[k] = m
		}
	}
	if m := h.repeats(le.Message); m != "" {
		le.Message = m
	}
}

// forEachText calls fn with the text of every string and number inside v (decoded JSON), trimmed.
func forEachText(v any, fn func(string)) {
	switch x := v.(type) {
	case string:
		if t := strings.TrimSpace(x); t != "" {
			fn(t)
		}
	case float64:
		fn(strconv.FormatFloat(x, 'f', -1, 64))
	case json.Number:
		fn(x.String())
	case int, int64:
		fn(fmt.Sprint(x))
	case map[string]any:
		for _, e := range x {
			forEachText(e, fn)
		}
	case []any:
		for _, e := range x {
			forEachText(e, fn)
		}
	}
}

// hideInSummaries hides, in runs listed for a rep, the errors that repeat someone else's answer.
func hideInSummaries(ctx context.Context, tasks store.Tasks, s readScope, items []ExecutionSummary) error {
	if s.all {
		return nil
	}
	var ids []string
	for _, it := range items {
		if it.Error != "" {
			ids = append(ids, it.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	rows, err := tasks.CompletedTasksOf(ctx, ids)
	if err != nil {
		return err
	}
	byRun := map[string][]store.HumanTask{}
	for _, r := range rows {
		byRun[r.ExecutionID] = append(byRun[r.ExecutionID], r)
	}
	for i := range items {
		run := byRun[items[i].ID]
		if items[i].Error == "" || len(run) == 0 {
			continue
		}
		hidden, err := collectOthersAnswers(s, run, make([]TaskView, len(run)))
		if err != nil {
			return err
		}
		if m := hidden.repeats(items[i].Error); m != "" {
			items[i].Error = m
		}
	}
	return nil
}
