package app

import (
	"fmt"
	"maps"
	"strings"

	"gorm.io/gorm"

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

// executions narrows a query of table (executions, or its alias in the query) to the runs in scope.
func (s readScope) executions(q *gorm.DB, table string) *gorm.DB {
	switch {
	case s.all:
		return q
	case s.user == 0 || s.email == "":
		return q.Where("1 = 0")
	}
	// One list of ids (a rep's few runs) rather than an OR, so a database reads them by index instead of
	// filtering every run.
	return q.Where(table+".id IN (SELECT id FROM executions WHERE started_by = ? UNION ALL "+
		"SELECT execution_id FROM task_holders WHERE user_id = ?)", s.email, s.user)
}

// crm is the CRM as the actor sees it: a rep finds only the records assigned to them.
func (s readScope) crm(svc *crm.Service) *crm.Service {
	if s.all {
		return svc
	}
	return svc.OwnedBy(s.user)
}

// tasks narrows a query of human_tasks to the tasks whose form and answers the actor may see: a rep's are
// the tasks assigned to them now.
func (s readScope) tasks(q *gorm.DB) *gorm.DB {
	if s.all {
		return q
	}
	return q.Where("assignee_id = ?", s.user)
}

// crmRows narrows a query of a CRM table, whose owner is in column, for the reads the CRM service does not
// do itself (the choices of a form, a company found by its name).
func (s readScope) crmRows(q *gorm.DB, column string) *gorm.DB {
	if s.all {
		return q
	}
	return q.Where(column+" = ?", s.user)
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
