package analytics

import (
	"cmp"
	"slices"
)

// TaskDueCount counts one step's tasks with a due date for one person (Who: whoever completed the task,
// else whoever holds it; "" for a task waiting in a team's queue).
type TaskDueCount struct {
	StepID, Who                 string
	InTime, Late, Overdue, Open int64
}

// DueShare is how tasks with a due date went: done by it (InTime), done after it (Late), still open past
// it (Overdue), open with time left (Open, not counted in the share). WithinDue is InTime ÷ (InTime + Late
// + Overdue) × 100, null while none of them is.
type DueShare struct {
	StepID    string   `json:"stepId,omitempty"`
	StepName  string   `json:"stepName,omitempty"`
	Who       string   `json:"who,omitempty"`
	InTime    int64    `json:"inTime"`
	Late      int64    `json:"late"`
	Overdue   int64    `json:"overdue"`
	Open      int64    `json:"open"`
	WithinDue *float64 `json:"withinDue"`
}

// TaskDue is the share of a workflow's human tasks done within their due date, over all of them, per step
// (in the workflow's order) and per person (most tasks first).
type TaskDue struct {
	Total  DueShare   `json:"total"`
	Steps  []DueShare `json:"steps"`
	People []DueShare `json:"people"`
}

// ComputeTaskDue sums the counts by step and by person; steps are named and ordered as in steps (a step
// no version names keeps its id, after them). Nil when no task had a due date.
func ComputeTaskDue(counts []TaskDueCount, steps []StepInfo) *TaskDue {
	if len(counts) == 0 {
		return nil
	}
	out := &TaskDue{}
	byStep, byWho := map[string]*DueShare{}, map[string]*DueShare{}
	for _, c := range counts {
		s := byStep[c.StepID]
		if s == nil {
			s = &DueShare{StepID: c.StepID, StepName: c.StepID}
			byStep[c.StepID] = s
		}
		w := byWho[c.Who]
		if w == nil {
			w = &DueShare{Who: c.Who}
			byWho[c.Who] = w
		}
		for _, d := range []*DueShare{&out.Total, s, w} {
			d.InTime += c.InTime
			d.Late += c.Late
			d.Overdue += c.Overdue
			d.Open += c.Open
		}
	}
	order := map[string]int{}
	for i, s := range steps {
		if _, ok := order[s.ID]; !ok {
			order[s.ID] = i
			if d := byStep[s.ID]; d != nil && s.Name != "" {
				d.StepName = s.Name
			}
		}
	}
	rank := func(id string) int {
		if i, ok := order[id]; ok {
			return i
		}
		return len(steps)
	}
	for _, s := range byStep {
		out.Steps = append(out.Steps, *s)
	}
	slices.SortFunc(out.Steps, func(a, b DueShare) int {
		return cmp.Or(cmp.Compare(rank(a.StepID), rank(b.StepID)), cmp.Compare(a.StepID, b.StepID))
	})
	for _, w := range byWho {
		out.People = append(out.People, *w)
	}
	slices.SortFunc(out.People, func(a, b DueShare) int {
		return cmp.Or(cmp.Compare(b.InTime+b.Late+b.Overdue+b.Open, a.InTime+a.Late+a.Overdue+a.Open), cmp.Compare(a.Who, b.Who))
	})
	out.Total.share()
	for i := range out.Steps {
		out.Steps[i].share()
	}
	for i := range out.People {
		out.People[i].share()
	}
	return out
}

func (d *DueShare) share() {
	if settled := d.InTime + d.Late + d.Overdue; settled > 0 {
		pct := float64(d.InTime) / float64(settled) * 100
		d.WithinDue = &pct
	}
}
