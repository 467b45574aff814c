// Package actions holds the things an action step can do (send_email, create_task, set_variable, …) and the
// registry the engine and validation look them up in. An action renders nothing itself: it gets its parameters
// already rendered, checks them, and returns its output plus the database writes (effects) the engine commits
// together with the step.
package actions

import (
	"context"
	"net/http"
	"slices"
	"sort"
	"time"

	"github.com/riverqueue/river"

	"github.com/kitchenpantry/pantryflow/internal/expression"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// Action is one kind of action step.
type Action interface {
	Spec() workflow.ActionSpec
	Run(ctx context.Context, in Input) (Result, error)
}

// Input is what an action gets for one attempt of one step.
type Input struct {
	ExecutionID    string
	WorkflowID     string
	StepID         string
	Attempt        int
	IdempotencyKey string // stable across retries of the same step activation
	Params         map[string]any
	Vars           map[string]any // the execution's variables, read-only
	Now            time.Time
	// Test is a designer's test run: the action checks its parameters and records what it would do
	// (the mail, the request, the record) in its output, without doing it.
	Test bool
}

// Result is what an action produced.
type Result struct {
	Output  any
	Vars    map[string]any // variables to set
	Message string         // for the execution log
	Effects []store.Effect // committed with the step
	// WaitForTodo, when set, is a CRM to-do the step made and waits for: the run goes on when it is done,
	// with the to-do as the step's output (create_task with wait).
	WaitForTodo string
}

// Directory is what actions look up in the database.
type Directory interface {
	UserByEmail(ctx context.Context, email string) (*store.User, error)
	EmailTemplate(ctx context.Context, name string) (*store.EmailTemplate, error)
	// WorkingCalendar is the working calendar as JSON in which a person's business time counts ("" for
	// the default one).
	WorkingCalendar(ctx context.Context, userID int64) (string, error)
}

// Deps are what the built-in actions need.
type Deps struct {
	Directory Directory
	Expr      *expression.Engine
	NewID     func() string
	// Records creates and updates CRM records (create_record, update_record).
	Records RecordStore
	// HTTP is the client call_api uses: it refuses private, loopback, link-local and metadata addresses on
	// every dial and redirect unless the allow-list permits them.
	HTTP *http.Client
	// EnqueueTx inserts a River job in the step's transaction, so the job exists exactly when the step's
	// writes do (send_email's delivery job).
	EnqueueTx func(ctx context.Context, tx *store.Tx, args river.JobArgs) error
}

// RecordStore is the CRM as actions see it. Writes happen inside the step's transaction and record the
// CRM's events there, so a rolled-back step changes nothing and starts nothing.
type RecordStore interface {
	// Entities lists the record kinds (lead, contact, company, opportunity, task).
	Entities() []string
	// Check validates data for a create (id == "") or an update of entity without writing, so a step with
	// bad data fails before its transaction, with a message naming the field.
	Check(ctx context.Context, entity, id string, data map[string]any) error
	// CreateTx creates a record with the given id and returns it as an event payload.
	CreateTx(ctx context.Context, tx *store.Tx, entity, id string, data map[string]any, by string) (map[string]any, error)
	// UpdateTx changes the fields in data of an existing record and returns it as an event payload.
	UpdateTx(ctx context.Context, tx *store.Tx, entity, id string, data map[string]any, by string) (map[string]any, error)
	// Lookup reads a record as it is now, as an event payload.
	Lookup(ctx context.Context, entity, id string) (map[string]any, error)
	// Find lists up to limit records whose fields have the values in where (and whose names or emails
	// hold q), newest first, with how many match in all.
	Find(ctx context.Context, entity string, where map[string]string, q string, limit int) ([]map[string]any, int64, error)
}

// Registry finds actions by name.
type Registry struct {
	byName map[string]Action
}

// NewRegistry builds a registry of the given actions.
func NewRegistry(list ...Action) *Registry {
	r := &Registry{byName: map[string]Action{}}
	for _, a := range list {
		r.byName[a.Spec().Name] = a
	}
	return r
}

// Builtin lists the actions Pantryflow ships. A new action is a new file in this package plus its line here.
func Builtin(d Deps) []Action {
	return []Action{
		SetVariable{},
		CreateTask{deps: d},
		SendEmail{deps: d},
		CallAPI{deps: d},
		CreateRecord{deps: d},
		UpdateRecord{deps: d},
		GetRecord{deps: d},
		FindRecords{deps: d},
	}
}

// Get returns the named action.
func (r *Registry) Get(name string) (Action, bool) {
	a, ok := r.byName[name]
	return a, ok
}

// Names lists the action names in order.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.byName))
	for n := range r.byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Specs lists every action's description, for the designer.
func (r *Registry) Specs() []workflow.ActionSpec {
	specs := make([]workflow.ActionSpec, 0, len(r.byName))
	for _, n := range r.Names() {
		specs = append(specs, r.byName[n].Spec())
	}
	return specs
}

// Has reports whether the registry knows the action.
func (r *Registry) Has(name string) bool { return slices.Contains(r.Names(), name) }
