package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/kitchenpantry/pantryflow/internal/crm"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// Catalog is what the designer offers: the actions with their parameters, the events that can start a
// workflow, the email templates and the people tasks can go to.
type Catalog struct {
	Actions   []workflow.ActionSpec `json:"actions"`
	Events    []string              `json:"events"`
	Templates []string              `json:"templates"`
	People    []string              `json:"people"`
	// Placeholders are the names each mail template reads, by template.
	Placeholders map[string][]string `json:"placeholders"`
	// NewSteps are what the palette adds, by step type and, for actions, "action:" and the action's name.
	NewSteps map[string]NewStep `json:"newSteps"`
}

// NewStep is a step as the palette adds it (the canvas gives it an id and its connections), with what its
// box says.
type NewStep struct {
	Name          string         `json:"name"`
	Type          string         `json:"type"`
	Configuration map[string]any `json:"configuration"`
	Summary       StepSummary    `json:"summary"`
}

// newSteps are the palette's steps: an action of each kind, and each other step type with its defaults (a
// delay waits a day).
func newSteps(specs []workflow.ActionSpec) map[string]NewStep {
	steps := map[string]workflow.Step{
		workflow.StepAction: {Name: "Action", Type: workflow.StepAction,
			Configuration: map[string]any{"action": "", "parameters": map[string]any{}}},
		workflow.StepCondition: {Name: "Condition", Type: workflow.StepCondition,
			Configuration: map[string]any{"condition": "", "trueSteps": []string{}, "falseSteps": []string{}}},
		workflow.StepParallel: {Name: "Parallel", Type: workflow.StepParallel,
			Configuration: map[string]any{"parallelSteps": []string{}}},
		workflow.StepHumanTask: {Name: "Human task", Type: workflow.StepHumanTask,
			Configuration: map[string]any{"assignee": "", "title": "", "description": "", "formFields": []any{}}},
		workflow.StepDelay: {Name: "Delay", Type: workflow.StepDelay, Configuration: map[string]any{"duration": 86400}},
	}
	for _, a := range specs {
		name := a.Title
		if name == "" {
			name = a.Name
		}
		steps["action:"+a.Name] = workflow.Step{Name: name, Type: workflow.StepAction,
			Configuration: map[string]any{"action": a.Name, "parameters": map[string]any{}}}
	}
	out := make(map[string]NewStep, len(steps))
	for key, s := range steps {
		out[key] = NewStep{Name: s.Name, Type: s.Type, Configuration: s.Configuration, Summary: SummarizeStep(s, specs)}
	}
	return out
}

// ActionSpecs are the actions this server runs, as the designer and the boxes' words name them; no
// database read, so the check after every change in the designer stays cheap.
func (a *App) ActionSpecs() []workflow.ActionSpec { return a.Engine.Environment(nil).Actions.Specs() }

// DesignerCatalog gathers the catalog.
func (a *App) DesignerCatalog(ctx context.Context) (*Catalog, error) {
	c := &Catalog{Actions: a.ActionSpecs(), Events: KnownEvents()}
	c.NewSteps = newSteps(c.Actions)
	var err error
	known, placeholders, err := a.mailTemplates(ctx)
	if err != nil {
		return nil, err
	}
	c.Templates, c.Placeholders = slices.Sorted(maps.Keys(known)), placeholders
	if c.People, err = a.DB.Users().EnabledEmails(ctx); err != nil {
		return nil, err
	}
	// Teams are people too, for a task: team:closers goes to the closers' queue.
	teams, err := a.DB.Teams().ListTeams(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range teams {
		c.People = append(c.People, workflow.TeamPrefix+t.Name)
	}
	return c, nil
}

// KnownEvents are the events the CRM writes: created, updated and deleted for every record, and one per
// status or stage.
func KnownEvents() []string {
	var out []string
	for _, e := range []string{"lead", "contact", "company", "opportunity", "task"} {
		out = append(out, e+"_created", e+"_updated", e+"_deleted")
	}
	for _, s := range crm.LeadStatuses {
		out = append(out, "lead_"+s)
	}
	for _, s := range crm.OpportunityStages {
		out = append(out, "opportunity_"+s)
	}
	out = append(out, "task_done")
	sort.Strings(out)
	return out
}

// CheckDefinition validates a definition from the designer and returns its problems (nil when valid).
func (a *App) CheckDefinition(ctx context.Context, def *workflow.Definition) ([]Detail, error) {
	_, err := a.Validate(ctx, def)
	var verr *ValidationError
	if errors.As(err, &verr) {
		return verr.Details, nil
	}
	return nil, err
}

// ProblemsOf are the problems about one step.
func ProblemsOf(details []Detail, stepID string) []Detail {
	var out []Detail
	for _, d := range details {
		if d.StepID == stepID {
			out = append(out, d)
		}
	}
	return out
}

// DesignerSave saves the designer's definition: a new workflow when id is empty, else a new draft version.
func (a *App) DesignerSave(ctx context.Context, actor *Actor, id string, def *workflow.Definition) (Saved, error) {
	if id == "" {
		def.ID = ""
		return a.CreateWorkflow(ctx, actor, def, false)
	}
	def.ID = ""
	return a.SaveDraft(ctx, actor, id, def)
}

// RestoreVersion saves an old version's definition as the newest draft.
func (a *App) RestoreVersion(ctx context.Context, actor *Actor, id string, version int) (Saved, error) {
	def, err := a.GetDefinition(ctx, id, version)
	if err != nil {
		return Saved{}, err
	}
	def.ID = ""
	def.Metadata = workflow.Metadata{}
	return a.SaveDraft(ctx, actor, id, def)
}

// StepChange is how one step differs between two versions.
type StepChange struct {
	StepID string   `json:"stepId"`
	Name   string   `json:"name"`
	Kind   string   `json:"kind"`   // added, removed, changed
	Fields []string `json:"fields"` // what changed: name, type, configuration, nextSteps, errorHandling
}

// VersionDiff compares two versions step by step, and the workflow's own settings.
type VersionDiff struct {
	From, To int
	Steps    []StepChange
	Settings []string // name, description, trigger, variables
}

// DiffVersions says which steps were added, removed or changed between two versions (positions aside).
func (a *App) DiffVersions(ctx context.Context, id string, from, to int) (*VersionDiff, error) {
	before, err := a.GetDefinition(ctx, id, from)
	if err != nil {
		return nil, err
	}
	after, err := a.GetDefinition(ctx, id, to)
	if err != nil {
		return nil, err
	}
	return DiffDefinitions(before, after, from, to), nil
}

// DiffDefinitions compares two definitions.
func DiffDefinitions(before, after *workflow.Definition, from, to int) *VersionDiff {
	d := &VersionDiff{From: from, To: to}
	same := func(x, y any) bool {
		a, _ := json.Marshal(x)
		b, _ := json.Marshal(y)
		return string(a) == string(b)
	}
	if before.Name != after.Name {
		d.Settings = append(d.Settings, "name")
	}
	if before.Description != after.Description {
		d.Settings = append(d.Settings, "description")
	}
	if !same(before.Trigger, after.Trigger) {
		d.Settings = append(d.Settings, "trigger")
	}
	if !same(before.Variables, after.Variables) {
		d.Settings = append(d.Settings, "variables")
	}
	old := map[string]workflow.Step{}
	for _, s := range before.Steps {
		old[s.ID] = s
	}
	seen := map[string]bool{}
	for _, s := range after.Steps {
		seen[s.ID] = true
		o, existed := old[s.ID]
		if !existed {
			d.Steps = append(d.Steps, StepChange{StepID: s.ID, Name: s.Name, Kind: "added"})
			continue
		}
		var fields []string
		if o.Name != s.Name {
			fields = append(fields, "name")
		}
		if o.Type != s.Type {
			fields = append(fields, "type")
		}
		if !same(o.Configuration, s.Configuration) {
			fields = append(fields, "configuration")
		}
		if !same(o.NextSteps, s.NextSteps) {
			fields = append(fields, "nextSteps")
		}
		if !same(o.ErrorHandling, s.ErrorHandling) {
			fields = append(fields, "errorHandling")
		}
		if len(fields) > 0 {
			d.Steps = append(d.Steps, StepChange{StepID: s.ID, Name: s.Name, Kind: "changed", Fields: fields})
		}
	}
	for _, s := range before.Steps {
		if !seen[s.ID] {
			d.Steps = append(d.Steps, StepChange{StepID: s.ID, Name: s.Name, Kind: "removed"})
		}
	}
	return d
}

// ExportDefinition is a version's definition as a file people can import elsewhere.
func (a *App) ExportDefinition(ctx context.Context, id string, version int) ([]byte, error) {
	def, err := a.GetDefinition(ctx, id, version)
	if err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(def, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("export %s: %w", id, err)
	}
	return append(b, '\n'), nil
}

// NewDefinition is what the designer starts from: a template's definition, or an empty manual workflow.
func NewDefinition(templateID string) (*workflow.Definition, error) {
	if templateID != "" {
		def, err := TemplateDefinition(templateID)
		if err != nil {
			return nil, err
		}
		def.ID, def.Metadata = "", workflow.Metadata{}
		return def, nil
	}
	return &workflow.Definition{Name: "Untitled workflow", Enabled: true,
		Trigger: workflow.Trigger{Type: workflow.TriggerManual, Configuration: map[string]any{}},
		Steps:   []workflow.Step{}, Variables: []workflow.Variable{}}, nil
}

// DescribeCron says a cron line in words a sales manager reads: "every weekday at 09:00".
func DescribeCron(spec string) string {
	spec = strings.TrimSpace(spec)
	switch spec {
	case "@yearly", "@annually":
		return "once a year, on 1 January at midnight"
	case "@monthly":
		return "once a month, on the 1st at midnight"
	case "@weekly":
		return "once a week, on Sunday at midnight"
	case "@daily", "@midnight":
		return "every day at midnight"
	case "@hourly":
		return "every hour, on the hour"
	}
	if every, ok := strings.CutPrefix(spec, "@every "); ok {
		return "every " + every
	}
	f := strings.Fields(spec)
	if len(f) != 5 {
		return ""
	}
	minute, hour, dom, month, dow := f[0], f[1], f[2], f[3], f[4]
	var when string
	switch {
	case minute == "*" && hour == "*":
		when = "every minute"
	case strings.HasPrefix(minute, "*/") && hour == "*":
		when = "every " + strings.TrimPrefix(minute, "*/") + " minutes"
	case isNumber(minute) && hour == "*":
		when = "every hour at " + pad(minute) + " minutes past"
	case isNumber(minute) && isNumber(hour):
		when = "at " + pad(hour) + ":" + pad(minute)
	case isNumber(minute) && strings.HasPrefix(hour, "*/"):
		when = "every " + strings.TrimPrefix(hour, "*/") + " hours at " + pad(minute) + " minutes past"
	default:
		when = "at minute " + minute + ", hour " + hour
	}
	var days string
	switch {
	case dom == "*" && month == "*" && dow == "*":
		days = "every day"
	case dom == "*" && month == "*" && dow == "1-5":
		days = "every weekday (Monday to Friday)"
	case dom == "*" && month == "*" && (dow == "0,6" || dow == "6,0"):
		days = "on weekends"
	case dom == "*" && month == "*" && isNumber(dow):
		days = "every " + weekday(dow)
	case isNumber(dom) && month == "*" && dow == "*":
		days = "on day " + dom + " of every month"
	default:
		days = fmt.Sprintf("when the day of month is %s, the month %s and the weekday %s", dom, month, dow)
	}
	if when == "every minute" || strings.HasPrefix(when, "every ") {
		if days == "every day" {
			return when
		}
		return when + ", " + days
	}
	return days + " " + when
}

func isNumber(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func pad(s string) string {
	if len(s) == 1 {
		return "0" + s
	}
	return s
}

func weekday(d string) string {
	names := []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
	var n int
	fmt.Sscan(d, &n)
	if n < 0 || n >= len(names) {
		return "day " + d
	}
	return names[n]
}
