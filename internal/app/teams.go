package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/internal/businesstime"
	"github.com/kitchenpantry/pantryflow/internal/engine"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// TeamView is a team as the API and pages show it: GET|POST /api/teams, PUT|DELETE /api/teams/{name}.
type TeamView struct {
	Name     string                 `json:"name"`
	Members  []string               `json:"members"`
	Calendar *businesstime.Calendar `json:"calendar,omitempty"`
}

var teamName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

func teamView(t *store.TeamRow) (TeamView, error) {
	v := TeamView{Name: t.Name, Members: []string{}}
	for _, m := range t.Members {
		v.Members = append(v.Members, m.Email)
	}
	if t.Calendar != "" {
		var c businesstime.Calendar
		if err := json.Unmarshal([]byte(t.Calendar), &c); err != nil {
			return v, fmt.Errorf("team %s: its calendar: %w", t.Name, err)
		}
		v.Calendar = &c
	}
	return v, nil
}

// ListTeams lists the teams (anyone signed in may see who is in which).
func (a *App) ListTeams(ctx context.Context, actor *Actor) ([]TeamView, error) {
	if actor == nil {
		return nil, fail(ErrUnauthorized, "sign in to see the teams")
	}
	rows, err := a.DB.Teams().ListTeams(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]TeamView, 0, len(rows))
	for i := range rows {
		v, err := teamView(&rows[i])
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// GetTeam reads one team.
func (a *App) GetTeam(ctx context.Context, actor *Actor, name string) (*TeamView, error) {
	if actor == nil {
		return nil, fail(ErrUnauthorized, "sign in to see the teams")
	}
	row, err := a.DB.Teams().Team(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fail(ErrNotFound, fmt.Sprintf("there is no team %q", name))
	}
	if err != nil {
		return nil, err
	}
	v, err := teamView(row)
	return &v, err
}

// PutTeam creates a team or replaces its members and calendar (managers), and reports whether it was new.
func (a *App) PutTeam(ctx context.Context, actor *Actor, in TeamView) (*TeamView, bool, error) {
	if err := requireManager(actor, "change teams"); err != nil {
		return nil, false, err
	}
	in.Name = strings.TrimSpace(in.Name)
	var details []Detail
	if !teamName.MatchString(in.Name) {
		details = append(details, Detail{Path: "name", Message: fmt.Sprintf("%q is not a team name: use up to 40 lower-case letters, digits, - and _, like closers", in.Name)})
	}
	var ids []int64
	for i, email := range in.Members {
		u, err := a.DB.UserByEmail(ctx, strings.TrimSpace(email))
		if errors.Is(err, store.ErrNotFound) {
			details = append(details, Detail{Path: fmt.Sprintf("members[%d]", i), Message: fmt.Sprintf("%s is not an enabled Pantryflow user", email)})
			continue
		}
		if err != nil {
			return nil, false, err
		}
		ids = append(ids, u.ID)
	}
	calendar := ""
	if in.Calendar != nil {
		if err := in.Calendar.Check(); err != nil {
			details = append(details, Detail{Path: "calendar", Message: err.Error()})
		}
		raw, _ := json.Marshal(in.Calendar)
		calendar = string(raw)
	}
	if len(details) > 0 {
		return nil, false, &ValidationError{Message: "the team was not saved", Details: details}
	}
	var created bool
	err := a.DB.Tx(ctx, func(tx *store.Tx) error {
		var err error
		created, err = tx.Teams().PutTeam(ctx, in.Name, calendar, ids, a.Clock.Now())
		return err
	})
	if err != nil {
		return nil, false, err
	}
	a.audit(ctx, actor, "team saved", "team", in.Name, nil, map[string]any{"members": len(ids)})
	v, err := a.GetTeam(ctx, actor, in.Name)
	return v, created, err
}

// DeleteTeam deletes a team (managers) unless tasks wait in its queue.
func (a *App) DeleteTeam(ctx context.Context, actor *Actor, name string) error {
	if err := requireManager(actor, "change teams"); err != nil {
		return err
	}
	_, waiting, err := a.DB.Tasks().ListTasks(ctx, store.ReadScope{All: true}, store.TaskQuery{Status: string(workflow.TaskOpen), Team: name, Unclaimed: true, Limit: 1})
	if err != nil {
		return err
	}
	if waiting > 0 {
		return fail(ErrConflict, fmt.Sprintf("%d open tasks wait in the queue of team %s: give them to someone first", waiting, name))
	}
	deleted, err := a.DB.Teams().DeleteTeam(ctx, name)
	if err != nil {
		return err
	}
	if !deleted {
		return fail(ErrNotFound, fmt.Sprintf("there is no team %q", name))
	}
	a.audit(ctx, actor, "team deleted", "team", name, nil, nil)
	return nil
}

// ClaimTask takes an unclaimed task of one of the actor's teams. Of two people claiming at once one gets it;
// the other is told who has it (409).
func (a *App) ClaimTask(ctx context.Context, actor *Actor, id string) (*TaskView, error) {
	if err := requireRep(actor, "claim tasks"); err != nil {
		return nil, err
	}
	// Read the task whoever holds it, so a member who was a moment too late is told who has it; to anyone
	// outside the team it does not exist, as for every task they may not see.
	task, err := a.taskAsIs(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &Error{Kind: ErrNotFound, Message: "there is no such task"}
	}
	if err != nil {
		return nil, err
	}
	member := false
	if task.Team != "" {
		if member, err = a.DB.Teams().IsMember(ctx, task.Team, actor.ID); err != nil {
			return nil, err
		}
	}
	switch {
	case member:
	case !actor.Role.AtLeast(auth.RoleManager) && (task.AssigneeID == nil || *task.AssigneeID != actor.ID):
		return nil, &Error{Kind: ErrNotFound, Message: "there is no such task"}
	case task.Team == "":
		return nil, fail(ErrConflict, "this task is not in a team's queue, so it cannot be claimed")
	default:
		return nil, fail(ErrForbidden, fmt.Sprintf("only people in team %s can claim this task", task.Team))
	}
	var claimed bool
	err = a.DB.Tx(ctx, func(tx *store.Tx) error {
		claimed, err = tx.Tasks().Claim(ctx, id, actor.ID, actor.Email, a.Clock.Now())
		return err
	})
	if err != nil {
		return nil, err
	}
	if !claimed {
		again, err := a.taskAsIs(ctx, id)
		if err != nil {
			return nil, err
		}
		if again.Status != string(workflow.TaskOpen) {
			return nil, fail(ErrConflict, "this task is no longer open")
		}
		return nil, fail(ErrConflict, fmt.Sprintf("%s has already claimed this task", again.Assignee))
	}
	a.audit(ctx, actor, "task claimed", "task", id, nil, nil)
	return a.GetTask(ctx, actor, id)
}

// UnclaimTask returns a task the actor claimed to its team's queue.
func (a *App) UnclaimTask(ctx context.Context, actor *Actor, id string) (*TaskView, error) {
	if _, err := a.GetTask(ctx, actor, id); err != nil {
		return nil, err
	}
	var back bool
	err := a.DB.Tx(ctx, func(tx *store.Tx) error {
		var err error
		back, err = tx.Tasks().Unclaim(ctx, id, actor.ID, a.Clock.Now())
		return err
	})
	if err != nil {
		return nil, err
	}
	if !back {
		return nil, fail(ErrConflict, "you do not hold this task in a team's queue, so there is nothing to return")
	}
	a.audit(ctx, actor, "task unclaimed", "task", id, nil, nil)
	return a.taskAsIs(ctx, id)
}

// taskAsIs reads a task whoever may see it (for telling someone what happened to it).
func (a *App) taskAsIs(ctx context.Context, id string) (*TaskView, error) {
	row, err := a.DB.Tasks().Task(ctx, store.ReadScope{All: true}, id)
	if err != nil {
		return nil, err
	}
	v, err := taskView(row, a.Clock.Now())
	return &v, err
}

// notifyAssigned tells a user a task was given to them, in the transaction that gave it.
func (a *App) notifyAssigned(ctx context.Context, tx *store.Tx, u *store.User, taskID string, key string) error {
	row, err := tx.Tasks().Task(ctx, store.ReadScope{All: true}, taskID)
	if err != nil {
		return err
	}
	return a.Engine.NotifyTx(ctx, tx, engine.NotifyAssigned, u, row, key, a.Clock.Now())
}

// PersonManager is a user and whom their escalations go to.
type PersonManager struct {
	ID      int64
	Email   string
	Manager string
}

// PeopleAndManagers lists the enabled users with their managers (managers).
func (a *App) PeopleAndManagers(ctx context.Context, actor *Actor) ([]PersonManager, error) {
	if err := requireManager(actor, "see whom escalations go to"); err != nil {
		return nil, err
	}
	users, err := a.DB.Users().ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	emails := map[int64]string{}
	for _, u := range users {
		emails[u.ID] = u.Email
	}
	var out []PersonManager
	for _, u := range users {
		if u.DisabledAt != nil {
			continue
		}
		p := PersonManager{ID: u.ID, Email: u.Email}
		if u.ManagerID != nil {
			p.Manager = emails[*u.ManagerID]
		}
		out = append(out, p)
	}
	return out, nil
}

// SetManagerOf is SetManager for the user with that email.
func (a *App) SetManagerOf(ctx context.Context, actor *Actor, email, managerEmail string) error {
	u, err := a.DB.UserByEmail(ctx, strings.TrimSpace(email))
	if errors.Is(err, store.ErrNotFound) {
		return &ValidationError{Message: "unknown person", Details: []Detail{{Path: "email", Message: fmt.Sprintf("%s is not an enabled Pantryflow user", email)}}}
	}
	if err != nil {
		return err
	}
	return a.SetManager(ctx, actor, u.ID, managerEmail)
}
