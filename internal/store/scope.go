package store

import "gorm.io/gorm"

// ReadScope is the rows a person may read, as the repositories apply it; app/scope.go decides who gets
// which (managers and admins read everything, a rep their own). Zero is nobody: it reads nothing.
type ReadScope struct {
	All    bool // managers and admins
	UserID int64
	Email  string
}

// executions narrows a query of table (executions, or its alias in the query) to the runs in scope: a rep's
// are the runs they started and the runs they hold or held a human task in (task_holders).
func (s ReadScope) executions(q *gorm.DB, table string) *gorm.DB {
	switch {
	case s.All:
		return q
	case s.UserID == 0 || s.Email == "":
		return q.Where("1 = 0")
	}
	// One list of ids (a rep's few runs) rather than an OR, so a database reads them by index instead of
	// filtering every run.
	return q.Where(table+".id IN (SELECT id FROM executions WHERE started_by = ? UNION ALL "+
		"SELECT execution_id FROM task_holders WHERE user_id = ?)", s.Email, s.UserID)
}

// tasks narrows a query of human_tasks to the tasks whose form and answers the reader may see: a rep's are
// the tasks assigned to them now, and the unclaimed tasks in the queues of their teams.
func (s ReadScope) tasks(q *gorm.DB) *gorm.DB {
	if s.All {
		return q
	}
	return q.Where("(assignee_id = ? OR (assignee_id IS NULL AND team IN (SELECT team_name FROM team_members WHERE user_id = ?)))",
		s.UserID, s.UserID)
}

// crmRows narrows a query of a CRM table, whose owner is in column, to the reader's records.
func (s ReadScope) crmRows(q *gorm.DB, column string) *gorm.DB {
	if s.All {
		return q
	}
	return q.Where(column+" = ?", s.UserID)
}
