package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/businesstime"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// Who a new human task goes to: a person, a team's queue (claimed by anyone in it), or a team's member by
// rule; and, for someone out of office, their delegate.

type assigneePick struct {
	user          *store.User // nil for a task waiting in a team's queue
	team          string
	delegatedFrom *int64
	awayEmail     string
}

func (e *Engine) pickAssignee(ctx context.Context, assignee string, h *workflow.HumanPlan, now time.Time) (assigneePick, error) {
	var pick assigneePick
	if team, ok := strings.CutPrefix(assignee, workflow.TeamPrefix); ok {
		pick.team = strings.TrimSpace(team)
		members, err := e.db.Teams().EnabledMembers(ctx, pick.team)
		if errors.Is(err, store.ErrNotFound) {
			return pick, workflow.Permanent(workflow.ClassValidation, fmt.Errorf("there is no team %q: add it under Settings → Teams", pick.team))
		}
		if err != nil {
			return pick, workflow.Transient(workflow.ClassOther, err)
		}
		if len(members) == 0 {
			return pick, workflow.Permanent(workflow.ClassValidation, fmt.Errorf("team %q has nobody in it to give the task to", pick.team))
		}
		switch h.Assignment {
		case workflow.AssignRoundRobin:
			n, err := e.db.Teams().TakeTurn(ctx, pick.team)
			if err != nil {
				return pick, workflow.Transient(workflow.ClassOther, err)
			}
			pick.user = &members[(n-1)%int64(len(members))]
		case workflow.AssignLeastLoaded:
			ids := make([]int64, len(members))
			for i, m := range members {
				ids[i] = m.ID
			}
			open, err := e.db.Teams().OpenTaskCounts(ctx, ids)
			if err != nil {
				return pick, workflow.Transient(workflow.ClassOther, err)
			}
			best := 0
			for i, m := range members {
				if open[m.ID] < open[members[best].ID] {
					best = i
				}
			}
			pick.user = &members[best]
		default:
			return pick, nil // in the queue until someone claims it
		}
	} else {
		u, err := e.db.UserByEmail(ctx, assignee)
		if errors.Is(err, store.ErrNotFound) {
			return pick, workflow.Permanent(workflow.ClassValidation, fmt.Errorf("the assignee %q is not a Pantryflow user", assignee))
		}
		if err != nil {
			return pick, workflow.Transient(workflow.ClassOther, err)
		}
		pick.user = u
	}
	if h.Delegation && pick.user.AwayAt(now) && *pick.user.AwayDelegateID != pick.user.ID {
		delegate, err := e.db.Users().EnabledUser(ctx, *pick.user.AwayDelegateID)
		switch {
		case err == nil:
			pick.delegatedFrom, pick.awayEmail = &pick.user.ID, pick.user.Email
			pick.user = delegate
		case !errors.Is(err, store.ErrNotFound):
			return pick, workflow.Transient(workflow.ClassOther, err)
		}
	}
	return pick, nil
}

// calendar is the working calendar that counts for a task: its team's, else its person's team's, else the
// company's.
func (e *Engine) calendar(ctx context.Context, team string, user *store.User) (businesstime.Calendar, error) {
	var raw string
	var err error
	if team == "" && user != nil {
		raw, err = e.db.WorkingCalendar(ctx, user.ID)
	} else {
		raw, err = e.db.Teams().Calendar(ctx, team)
	}
	if err != nil {
		return businesstime.Default, err
	}
	return businesstime.Parse(raw)
}

// slaOf places the task's reminders and escalation relative to its due date.
func slaOf(cal businesstime.Calendar, h *workflow.HumanPlan, due time.Time) (store.TaskSLA, error) {
	var sla store.TaskSLA
	for _, o := range h.Reminders {
		at, err := cal.Move(due, o)
		if err != nil {
			return sla, fmt.Errorf("reminder %s: %w", o.Source, err)
		}
		sla.Reminders = append(sla.Reminders, store.SLATimer{Offset: o.Source, At: at.Truncate(time.Second)})
	}
	if x := h.Escalation; x != nil {
		at, err := cal.Move(due, x.After)
		if err != nil {
			return sla, fmt.Errorf("escalation: %w", err)
		}
		sla.Escalation = &store.SLAEscalation{After: x.After.Source, At: at.Truncate(time.Second), To: x.To, Notify: x.Notify}
	}
	return sla, nil
}
