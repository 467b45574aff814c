package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/crm"
	"github.com/kitchenpantry/pantryflow/internal/store"
)

// JourneyEntry is one thing that touched a record: a run about it started, a step of one ended, a mail or
// a task it made, a field changed (by a person or a workflow's step).
type JourneyEntry struct {
	ID          string    `json:"id"` // run:ID, step:N, mail:ID, task:ID, change:N
	At          time.Time `json:"at"`
	Kind        string    `json:"kind"` // event (created, qualified…), run, step, mail, task, field
	Title       string    `json:"title"`
	Detail      string    `json:"detail,omitempty"`
	By          string    `json:"by,omitempty"`
	ExecutionID string    `json:"executionId,omitempty"`
	// A field change: the field, and its values before and after.
	Field  string `json:"field,omitempty"`
	Before any    `json:"before,omitempty"`
	After  any    `json:"after,omitempty"`
	// Undoable marks a workflow's field change a manager may undo; UndoneBy says who did.
	Undoable bool   `json:"undoable,omitempty"`
	UndoneBy string `json:"undoneBy,omitempty"`
}

// journeyLimit bounds each kind of entry a journey reads.
const journeyLimit = 200

// Journey is one timeline of every run, step, mail, task and field change that touched a record, newest
// first. Reps see the journeys of the records they may read, without the runs they may not.
func (a *App) Journey(ctx context.Context, actor *Actor, e crm.Entity, id string) ([]JourneyEntry, error) {
	if _, err := a.GetRecord(ctx, actor, e, id); err != nil {
		return nil, err
	}
	scope := scopeOf(actor)
	var out []JourneyEntry
	err := a.DB.Snapshot(ctx, func(tx *store.Tx) error {
		events, err := tx.CRM().RecordEvents(ctx, string(e), id, journeyLimit)
		if err != nil {
			return err
		}
		for _, ev := range events {
			if ev.Type == string(e)+"_updated" {
				continue // its fields are the field changes below
			}
			out = append(out, JourneyEntry{ID: "event:" + ev.ID, At: ev.CreatedAt, Kind: "event", Title: ev.Type, By: ev.CreatedBy})
		}
		changes, err := tx.CRM().RecordChanges(ctx, string(e), id, journeyLimit)
		if err != nil {
			return err
		}
		for _, c := range changes {
			var before, after any
			_ = c.BeforeValue.Decode(&before)
			_ = c.AfterValue.Decode(&after)
			out = append(out, JourneyEntry{ID: "change:" + strconv.FormatInt(c.ID, 10), At: c.ChangedAt, Kind: "field",
				Title: c.Field + " changed", By: c.ChangedBy, ExecutionID: c.ExecutionID, Field: c.Field, Before: before, After: after,
				Undoable: c.ExecutionID != "" && c.UndoneAt == nil && scope.all, UndoneBy: c.UndoneBy})
		}
		runs, _, err := tx.Executions().ListExecutions(ctx, scope.rows(), store.ExecutionFilter{SubjectEntity: string(e), SubjectID: id, Limit: journeyLimit})
		if err != nil {
			return err
		}
		names, err := tx.Workflows().Names(ctx)
		if err != nil {
			return err
		}
		ids := make([]string, 0, len(runs))
		workflowOf := map[string]string{}
		for _, r := range runs {
			ids = append(ids, r.ID)
			workflowOf[r.ID] = names[r.WorkflowID]
			out = append(out, JourneyEntry{ID: "run:" + r.ID, At: r.StartedAt, Kind: "run", Title: names[r.WorkflowID] + " started",
				Detail: "now " + r.Status, ExecutionID: r.ID})
		}
		j, err := tx.Executions().JourneyOf(ctx, ids, journeyLimit)
		if err != nil {
			return err
		}
		for _, l := range j.Logs {
			out = append(out, JourneyEntry{ID: "step:" + strconv.FormatInt(l.ID, 10), At: l.Timestamp, Kind: "step",
				Title: l.StepName + " " + l.Action, Detail: l.Message, ExecutionID: l.ExecutionID})
		}
		for _, m := range j.Mails {
			out = append(out, JourneyEntry{ID: "mail:" + m.ID, At: m.CreatedAt, Kind: "mail", Title: "Mail “" + m.Subject + "”",
				Detail: "to " + m.ToAddress + ", " + m.Status, ExecutionID: deref(m.ExecutionID)})
		}
		for _, t := range j.Tasks {
			detail := t.Status
			if t.Assignee != "" {
				detail = "for " + t.Assignee + ", " + t.Status
			}
			out = append(out, JourneyEntry{ID: "task:" + t.ID, At: t.CreatedAt, Kind: "task", Title: "Task “" + t.Title + "”",
				Detail: detail, ExecutionID: t.ExecutionID})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(x, y JourneyEntry) int { return y.At.Compare(x.At) })
	return out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// UndoJourneyEntry undoes a workflow's change of a record's field (entry change:N): the field gets its
// value before the change back, and the change is marked undone by the manager. It is refused, with the
// reason, when the field was changed since (by a person or a later step), when a person made the change, or
// when it was undone already.
func (a *App) UndoJourneyEntry(ctx context.Context, actor *Actor, entryID string) (*JourneyEntry, error) {
	if err := requireManager(actor, "undo changes of records"); err != nil {
		return nil, err
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(entryID, "change:"), 10, 64)
	if err != nil || !strings.HasPrefix(entryID, "change:") {
		return nil, &Error{Kind: ErrNotFound, Message: fmt.Sprintf("there is no field change %q; only field changes can be undone", entryID)}
	}
	var undone *JourneyEntry
	err = a.DB.Tx(ctx, func(tx *store.Tx) error {
		c, err := tx.CRM().RecordChangeByID(ctx, n)
		if errors.Is(err, store.ErrNotFound) {
			return &Error{Kind: ErrNotFound, Message: fmt.Sprintf("there is no field change %q", entryID)}
		}
		if err != nil {
			return err
		}
		switch {
		case c.UndoneAt != nil:
			return fail(ErrConflict, fmt.Sprintf("this change of %s was undone already, by %s", c.Field, c.UndoneBy))
		case c.ExecutionID == "":
			return fail(ErrConflict, fmt.Sprintf("%s changed %s by hand; only a workflow's change can be undone here", c.ChangedBy, c.Field))
		}
		later, err := tx.CRM().LaterChange(ctx, c)
		if err != nil {
			return err
		}
		if later != nil {
			who := later.ChangedBy
			if later.ExecutionID != "" {
				who = "a later workflow step (" + later.ChangedBy + ")"
			}
			return fail(ErrConflict, fmt.Sprintf("%s changed %s since (to %s, %s), so undoing this change would overwrite theirs",
				who, c.Field, string(later.AfterValue), later.ChangedAt.UTC().Format("2 Jan 15:04 MST")))
		}
		var before any
		if err := c.BeforeValue.Decode(&before); err != nil {
			return err
		}
		if _, err := a.CRM.UpdateTx(ctx, tx, c.Entity, c.RecordID, map[string]any{c.Field: before}, actor.Email); err != nil {
			return fmt.Errorf("undo the change of %s: %w", c.Field, err)
		}
		if err := tx.CRM().MarkUndone(ctx, c.ID, actor.Email, a.Clock.Now()); err != nil {
			if errors.Is(err, store.ErrItemTaken) {
				return fail(ErrConflict, "this change was undone already")
			}
			return err
		}
		var after any
		_ = c.AfterValue.Decode(&after)
		undone = &JourneyEntry{ID: entryID, At: c.ChangedAt, Kind: "field", Title: c.Field + " changed", By: c.ChangedBy,
			ExecutionID: c.ExecutionID, Field: c.Field, Before: before, After: after, UndoneBy: actor.Email}
		return nil
	})
	if err != nil {
		return nil, err
	}
	a.audit(ctx, actor, "record change undone", "record", entryID, map[string]any{undone.Field: undone.After}, map[string]any{undone.Field: undone.Before})
	return undone, nil
}
