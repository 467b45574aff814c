package app

import (
	"fmt"
	"maps"
	"strings"

	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/internal/crm"
	"github.com/kitchenpantry/pantryflow/internal/store"
)

// What each person may read, in one place; every read of runs, tasks and CRM records goes through it.
//
//   - Managers and admins read everything.
//   - A rep reads the runs they started and the runs they hold or held a human task in (task_holders keeps
//     every assignee a task had), and the CRM records assigned to them. Inside such a run, what other people
//     answered is hidden (hidden_answers.go).
//   - Anything out of a rep's scope answers as if it did not exist (404), so ids cannot be probed.

// readScope is the rows an actor may read.
type readScope struct {
	all   bool // managers and admins
	user  int64
	email string
}

// scopeOf is the scope of actor; nobody signed in reads nothing.
func scopeOf(actor *Actor) readScope {
	switch {
	case actor == nil:
		return readScope{}
	case actor.Role.AtLeast(auth.RoleManager):
		return readScope{all: true, user: actor.ID, email: actor.Email}
	}
	return readScope{user: actor.ID, email: actor.Email}
}

// rows is the scope as the repositories apply it to runs, tasks and CRM rows (store.ReadScope): a rep's
// runs are the ones they started or hold or held a task in, their tasks the ones assigned to them now, their
// CRM rows the ones assigned to them.
func (s readScope) rows() store.ReadScope {
	return store.ReadScope{All: s.all, UserID: s.user, Email: s.email}
}

// crm is the CRM as the actor sees it: a rep finds only the records assigned to them.
func (s readScope) crm(svc *crm.Service) *crm.Service {
	if s.all {
		return svc
	}
	return svc.OwnedBy(s.user)
}

// ownNew gives a rep's new CRM record without an owner to the rep; data is not changed.
func (s readScope) ownNew(data map[string]any) map[string]any {
	if s.all {
		return data
	}
	if v, given := data["assignedTo"]; given && v != nil && strings.TrimSpace(fmt.Sprint(v)) != "" {
		return data
	}
	out := maps.Clone(data)
	if out == nil {
		out = map[string]any{}
	}
	out["assignedTo"] = s.email
	return out
}

// ownsTask is tasks for one task already loaded.
func (s readScope) ownsTask(t *store.HumanTask) bool {
	return s.all || (s.user != 0 && t.AssigneeID != nil && *t.AssigneeID == s.user)
}
