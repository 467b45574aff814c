package app

import (
	"time"

	"github.com/kitchenpantry/pantryflow/internal/engine"
)

// BranchView is one branch of a run as the API and the pages show it: where it is, in what state, what it
// waits for. It is app's own read model of the engine's branch, with the JSON shape the API has always had
// ("branches" of GET /api/executions/{id}), so the engine's state can change without changing the API.
type BranchView struct {
	ID int `json:"id"`
	// Step is the step the branch is at.
	Step string `json:"step"`
	// State is ready, waiting, done, halted or failed; Phase is where in the step it is.
	State string `json:"state"`
	Phase string `json:"phase"`
	// Wait says what a waiting branch waits for (delay, retry, task, todo, join); WakeAt when a timer wakes it.
	Wait       string     `json:"wait,omitempty"`
	WakeAt     *time.Time `json:"wakeAt,omitempty"`
	Attempt    int        `json:"attempt"`
	Activation int64      `json:"activation"`
	Frame      int        `json:"frame,omitempty"`
	TaskID     string     `json:"taskId,omitempty"`
	TodoID     string     `json:"todoId,omitempty"`
	EnteredAt  time.Time  `json:"enteredAt"`
	Note       string     `json:"note,omitempty"`
	// InfraRetries counts the tries of this attempt that the database cut short.
	InfraRetries int `json:"infraRetries,omitempty"`
}

// branchViews maps the engine's branches to the read model; never nil, so the API shows [] for none.
func branchViews(bs []engine.Branch) []BranchView {
	out := make([]BranchView, len(bs))
	for i, b := range bs {
		out[i] = BranchView{ID: b.ID, Step: b.Step, State: string(b.State), Phase: string(b.Phase), Wait: string(b.Wait),
			WakeAt: b.WakeAt, Attempt: b.Attempt, Activation: b.Activation, Frame: b.Frame, TaskID: b.TaskID, TodoID: b.TodoID,
			EnteredAt: b.EnteredAt, Note: b.Note, InfraRetries: b.InfraRetries}
	}
	return out
}
