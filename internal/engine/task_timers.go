package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// A human task's SLA timers (reminders and escalation) are durable like delays: each task row keeps its
// timers and the earliest one still to fire (next_timer_at, indexed). When the engine's clock passes it, one
// transaction marks the due timers fired — if the row's next timer is still the one read, so of two
// instances only one fires them — and sends the reminders or escalates in the same transaction.

// FireTaskTimers fires every reminder and escalation that is due, gives back to their users the untouched
// tasks a delegate held while they were away, and returns how many tasks it changed.
func (e *Engine) FireTaskTimers(ctx context.Context) (int, error) {
	now := e.clock.Now()
	rows, err := e.db.Tasks().DueTimers(ctx, now, timerBatch)
	if err != nil {
		return 0, err
	}
	fired := 0
	for i := range rows {
		done, err := e.fireTaskTimers(ctx, &rows[i], now)
		if err != nil {
			return fired, fmt.Errorf("task %s: %w", rows[i].ID, err)
		}
		if done {
			fired++
		}
	}
	back, err := e.returnDelegated(ctx, now)
	return fired + back, err
}

func (e *Engine) returnDelegated(ctx context.Context, now time.Time) (int, error) {
	n := 0
	err := e.db.Tx(ctx, func(tx *store.Tx) error {
		back, err := tx.Tasks().ReturnDelegated(ctx, now, timerBatch)
		n = len(back)
		for _, t := range back {
			e.log.Info("task given back after out-of-office", "task_id", t.ID, "assignee", t.Assignee)
		}
		return err
	})
	return n, err
}

func (e *Engine) fireTaskTimers(ctx context.Context, t *store.HumanTask, now time.Time) (bool, error) {
	var sla store.TaskSLA
	if err := t.SLA.Decode(&sla); err != nil {
		return false, err
	}
	was := *t.NextTimerAt
	var reminders []int
	for i := range sla.Reminders {
		if r := &sla.Reminders[i]; r.FiredAt == nil && !r.At.After(now) {
			r.FiredAt, reminders = &now, append(reminders, i)
		}
	}
	x := sla.Escalation
	escalate := x != nil && x.FiredAt == nil && !x.At.After(now)
	fired := false
	err := e.db.Tx(ctx, func(tx *store.Tx) error {
		var target escalationTarget
		if escalate {
			var err error
			if target, err = e.escalationTarget(ctx, tx, t, x.To); err != nil {
				return err
			}
			x.FiredAt, x.Outcome = &now, target.outcome
		}
		ok, err := tx.Tasks().FireTimers(ctx, t.ID, was, sla, now)
		if err != nil || !ok {
			return err // another instance fired them first
		}
		fired = true
		for _, i := range reminders {
			if err := e.remind(ctx, tx, t, i, now); err != nil {
				return err
			}
		}
		if escalate {
			return e.escalate(ctx, tx, t, target, x.Notify, now)
		}
		return nil
	})
	return fired, err
}

// remind notifies the assignee, or everyone in the team while the task waits in its queue.
func (e *Engine) remind(ctx context.Context, tx *store.Tx, t *store.HumanTask, i int, now time.Time) error {
	people, err := e.holdersOrTeam(ctx, tx, t)
	if err != nil {
		return err
	}
	for j := range people {
		key := fmt.Sprintf("reminder:%s:%d:%d", t.ID, i, people[j].ID)
		if err := e.NotifyTx(ctx, tx, NotifyReminder, &people[j], t, key, now); err != nil {
			return err
		}
	}
	return nil
}

func (e *Engine) holdersOrTeam(ctx context.Context, tx *store.Tx, t *store.HumanTask) ([]store.User, error) {
	if t.AssigneeID != nil {
		u, err := tx.Users().User(ctx, *t.AssigneeID)
		if err != nil {
			return nil, err
		}
		return []store.User{*u}, nil
	}
	if t.Team == nil {
		return nil, nil
	}
	members, err := tx.Teams().EnabledMembers(ctx, *t.Team)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return members, err
}

// escalationTarget is where an escalation sends the task: a user, or a team's queue; outcome says it in words.
type escalationTarget struct {
	user    *store.User
	team    string
	outcome string
}

func (e *Engine) escalationTarget(ctx context.Context, tx *store.Tx, t *store.HumanTask, to string) (escalationTarget, error) {
	if team, ok := strings.CutPrefix(to, workflow.TeamPrefix); ok {
		if _, err := tx.Teams().Team(ctx, team); errors.Is(err, store.ErrNotFound) {
			return escalationTarget{outcome: fmt.Sprintf("not escalated: there is no team %q", team)}, nil
		} else if err != nil {
			return escalationTarget{}, err
		}
		return escalationTarget{team: team, outcome: "escalated to the queue of team " + team}, nil
	}
	if to == "manager" || to == "" {
		if t.AssigneeID == nil {
			return escalationTarget{outcome: "not escalated: the task is unclaimed, so there is no assignee's manager"}, nil
		}
		u, err := tx.Users().User(ctx, *t.AssigneeID)
		if err != nil {
			return escalationTarget{}, err
		}
		if u.ManagerID == nil {
			return escalationTarget{outcome: fmt.Sprintf("not escalated: %s has no manager set", u.Email)}, nil
		}
		m, err := tx.Users().EnabledUser(ctx, *u.ManagerID)
		if errors.Is(err, store.ErrNotFound) {
			return escalationTarget{outcome: fmt.Sprintf("not escalated: the manager of %s is disabled", u.Email)}, nil
		}
		if err != nil {
			return escalationTarget{}, err
		}
		return escalationTarget{user: m, outcome: fmt.Sprintf("escalated to %s, the manager of %s", m.Email, u.Email)}, nil
	}
	u, err := tx.Users().UserWithEmail(ctx, strings.ToLower(to))
	if errors.Is(err, store.ErrNotFound) || (err == nil && u.DisabledAt != nil) {
		return escalationTarget{outcome: fmt.Sprintf("not escalated: %s is not an enabled Pantryflow user", to)}, nil
	}
	if err != nil {
		return escalationTarget{}, err
	}
	return escalationTarget{user: u, outcome: "escalated to " + u.Email}, nil
}

func (e *Engine) escalate(ctx context.Context, tx *store.Tx, t *store.HumanTask, target escalationTarget, notify bool, now time.Time) error {
	switch {
	case target.user != nil:
		if _, err := tx.Tasks().Reassign(ctx, t.ID, target.user.ID, target.user.Email, now); err != nil {
			return err
		}
		e.log.Info("task escalated", "task_id", t.ID, "to", target.user.Email)
		if notify {
			return e.NotifyTx(ctx, tx, NotifyEscalated, target.user, t, "escalated:"+t.ID, now)
		}
	case target.team != "":
		if _, err := tx.Tasks().ToQueue(ctx, t.ID, target.team, now); err != nil {
			return err
		}
		e.log.Info("task escalated", "task_id", t.ID, "to_team", target.team)
		if !notify {
			return nil
		}
		members, err := tx.Teams().EnabledMembers(ctx, target.team)
		if err != nil {
			return err
		}
		for i := range members {
			key := fmt.Sprintf("escalated:%s:%d", t.ID, members[i].ID)
			if err := e.NotifyTx(ctx, tx, NotifyEscalated, &members[i], t, key, now); err != nil {
				return err
			}
		}
	default:
		e.log.Warn("task not escalated", "task_id", t.ID, "why", target.outcome)
	}
	return nil
}
