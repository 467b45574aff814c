// Package engine runs workflow executions durably. Its functional core (state.go, core.go) decides, without
// any input/output, what a step's outcome means: the next state, the branches that are ready, the log entries.
// Its shell (worker.go, runner.go, timers.go) loads an execution, runs the step's side effects, and commits the
// core's decision, the log, the successor River jobs and the job's own completion in one transaction.
package engine

import (
	"fmt"
	"slices"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// BranchState is where a branch of an execution is in its life.
type BranchState string

// Branch states. Ended branches are dropped from the state.
const (
	BranchReady   BranchState = "ready"   // a worker should run its step
	BranchWaiting BranchState = "waiting" // for a time (delay, retry) or a person (task, to-do)
	BranchFailed  BranchState = "failed"  // its step failed the execution
	BranchHalted  BranchState = "halted"  // stopped because another branch failed; retry resumes it
)

// Phase says whether a ready branch starts its step or finishes one it was waiting in.
type Phase string

// Phases.
const (
	PhaseEnter  Phase = "enter"
	PhaseResume Phase = "resume"
)

// WaitKind is what a waiting branch waits for.
type WaitKind string

// Wait kinds.
const (
	WaitDelay WaitKind = "delay"
	WaitRetry WaitKind = "retry"
	WaitTask  WaitKind = "task"
	WaitTodo  WaitKind = "todo" // a CRM to-do made by the step (create_task with wait), until it is done
)

// OnPeople reports whether the wait is for a person (a human task or a CRM to-do) rather than for a time.
func (w WaitKind) OnPeople() bool { return w == WaitTask || w == WaitTodo }

// Branch is one thread of an execution: the step it is at and what it is doing there.
type Branch struct {
	ID         int         `json:"id"`
	Step       string      `json:"step"`
	State      BranchState `json:"state"`
	Phase      Phase       `json:"phase"`
	Wait       WaitKind    `json:"wait,omitempty"`
	WakeAt     *time.Time  `json:"wakeAt,omitempty"`
	Attempt    int         `json:"attempt"`
	Activation int64       `json:"activation"`
	Frame      int         `json:"frame,omitempty"`
	TaskID     string      `json:"taskId,omitempty"`
	TodoID     string      `json:"todoId,omitempty"`
	EnteredAt  time.Time   `json:"enteredAt"`
	// Note is added to the next log message of this branch ("woken early by …").
	Note string `json:"note,omitempty"`
	// InfraRetries counts the tries of this attempt that the database cut short (core.go).
	InfraRetries int `json:"infraRetries,omitempty"`
}

// Live reports whether the branch still has work or waits.
func (b *Branch) Live() bool { return b.State == BranchReady || b.State == BranchWaiting }

// Frame is an open parallel step: its branches carry its id, and when the last of them ends the parallel
// step's nextSteps run in the parent frame (the join).
type Frame struct {
	ID         int       `json:"id"`
	Step       string    `json:"step"`
	Parent     int       `json:"parent,omitempty"`
	Activation int64     `json:"activation"`
	StartedAt  time.Time `json:"startedAt"`
}

// State is the engine's bookkeeping for one execution, stored with it and changed only by the core.
type State struct {
	Seq      int64    `json:"seq"`
	NextID   int      `json:"nextId"`
	Branches []Branch `json:"branches"`
	Frames   []Frame  `json:"frames,omitempty"`
}

// Branch returns the branch with the given id.
func (s *State) Branch(id int) *Branch {
	for i := range s.Branches {
		if s.Branches[i].ID == id {
			return &s.Branches[i]
		}
	}
	return nil
}

func (s *State) frame(id int) *Frame {
	for i := range s.Frames {
		if s.Frames[i].ID == id {
			return &s.Frames[i]
		}
	}
	return nil
}

func (s *State) newID() int {
	s.NextID++
	return s.NextID
}

func (s *State) activate() int64 {
	s.Seq++
	return s.Seq
}

func (s *State) removeBranch(id int) {
	s.Branches = slices.DeleteFunc(s.Branches, func(b Branch) bool { return b.ID == id })
}

// frameBusy reports whether a frame still has a live branch or an open inner frame.
func (s *State) frameBusy(id int) bool {
	for i := range s.Branches {
		if s.Branches[i].Frame == id && s.Branches[i].Live() {
			return true
		}
	}
	for _, f := range s.Frames {
		if f.Parent == id {
			return true
		}
	}
	return false
}

// WaitingUntil is the earliest time a waiting branch wakes, or nil.
func (s *State) WaitingUntil() *time.Time {
	var at *time.Time
	for i := range s.Branches {
		b := &s.Branches[i]
		if b.State == BranchWaiting && b.WakeAt != nil && (at == nil || b.WakeAt.Before(*at)) {
			t := *b.WakeAt
			at = &t
		}
	}
	return at
}

// Run is an execution as the core sees it.
type Run struct {
	ID          string
	WorkflowID  string
	Version     int
	Status      workflow.ExecutionStatus
	Variables   map[string]any
	Outputs     map[string]any
	CurrentStep string
	Error       string
	FailedStep  string
	StartedBy   string
	Test        bool
	StartedAt   time.Time
	CompletedAt *time.Time
	State       State
}

// IdempotencyKey identifies one activation of a step: retries of it share the key, a later visit does not.
func IdempotencyKey(runID, stepID string, activation int64) string {
	return fmt.Sprintf("%s:%s:%d", runID, stepID, activation)
}
