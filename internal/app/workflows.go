package app

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/internal/crm"
	"github.com/kitchenpantry/pantryflow/internal/engine"
	"github.com/kitchenpantry/pantryflow/internal/expression"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// WorkflowSummary is a workflow in a list.
type WorkflowSummary struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	Description   string    `json:"description"`
	Enabled       bool      `json:"enabled"`
	ActiveVersion *int      `json:"activeVersion"`
	LatestVersion int       `json:"latestVersion"`
	TriggerType   string    `json:"triggerType"`
	TriggerEvent  string    `json:"triggerEvent,omitempty"`
	UpdatedAt     time.Time `json:"updatedAt"`
	// Webhook is set for a published webhook workflow: whether its address checks signatures.
	Webhook *WebhookSummary `json:"webhook,omitempty"`
	// SameEvent lists, for an enabled workflow started by an event, the other enabled workflows the same
	// event starts: one event then starts them all, and a lead may get two welcome mails.
	SameEvent []WorkflowRef `json:"sameEvent,omitempty"`
}

// VersionSummary is one version in a workflow's history.
type VersionSummary struct {
	Version     int        `json:"version"`
	Status      string     `json:"status"`
	CreatedBy   string     `json:"createdBy"`
	CreatedAt   time.Time  `json:"createdAt"`
	PublishedAt *time.Time `json:"publishedAt,omitempty"`
}

// Saved is the answer to a save: the workflow and its new version, and what is allowed but unwise in it
// (a password written into a header), with a suggestion of what to do instead.
type Saved struct {
	ID       string    `json:"id"`
	Version  int       `json:"version"`
	Warnings []Warning `json:"warnings,omitempty"`
}

// Warning is something a saved definition should not do; Suggest is a secret name to move a credential to.
type Warning struct {
	Path    string `json:"path"`
	StepID  string `json:"stepId,omitempty"`
	Message string `json:"message"`
	Suggest string `json:"suggestedSecret,omitempty"`
}

func warningsOf(plan *workflow.Plan) []Warning {
	var out []Warning
	for _, w := range plan.Warnings {
		out = append(out, Warning{Path: w.Path, StepID: w.StepID, Message: w.Message, Suggest: w.Hint})
	}
	return out
}

// Validate checks a definition against the actions, expressions and email templates this server has.
func (a *App) Validate(ctx context.Context, def *workflow.Definition) (*workflow.Plan, error) {
	env, err := a.checkEnv(ctx, nil)
	if err != nil {
		return nil, err
	}
	return compileChecked(def, env)
}

// checkEnv is what a save checks a definition against: the actions, the stored templates (with some
// templates' placeholders replaced: an edit not saved yet), the secrets' names and the CRM's records.
func (a *App) checkEnv(ctx context.Context, placeholdersOf map[string][]string) (engine.Environment, error) {
	known, placeholders, err := a.mailTemplates(ctx)
	if err != nil {
		return engine.Environment{}, err
	}
	maps.Copy(placeholders, placeholdersOf)
	secretNames, err := a.DB.SecretNames(ctx)
	if err != nil {
		return engine.Environment{}, err
	}
	env := a.Engine.Environment(func(n string) bool { return known[n] })
	env.Secrets = func(n string) bool { return slices.Contains(secretNames, n) }
	env.Records = func(entity string) (workflow.RecordSchema, bool) { return crm.Schema(crm.Entity(entity)) }
	env.Placeholders = func(name string) ([]string, bool) { p, ok := placeholders[name]; return p, ok }
	return env, nil
}

func compileChecked(def *workflow.Definition, env engine.Environment) (*workflow.Plan, error) {
	plan, problems := workflow.Compile(def, env)
	if problems != nil {
		return nil, problemsError(problems)
	}
	return plan, nil
}

// mailTemplates are the stored templates' names and the names each reads (expression.Placeholders, the
// subject's then the body's); a template that does not parse has none listed, and fails when it is sent,
// saying why.
func (a *App) mailTemplates(ctx context.Context) (map[string]bool, map[string][]string, error) {
	templates, err := a.DB.EmailTemplates(ctx)
	if err != nil {
		return nil, nil, err
	}
	known := map[string]bool{}
	placeholders := map[string][]string{}
	for _, t := range templates {
		known[t.Name] = true
		if names, ok := placeholdersOf(t.Subject, t.Body); ok {
			placeholders[t.Name] = names
		}
	}
	return known, placeholders, nil
}

// placeholdersOf lists the names a template's subject and body read, each once; false when one of them
// does not parse.
func placeholdersOf(subject, body string) ([]string, bool) {
	s, err1 := expression.Placeholders(subject)
	b, err2 := expression.Placeholders(body)
	if err1 != nil || err2 != nil {
		return nil, false
	}
	names := []string{}
	for _, n := range append(s, b...) {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names, true
}

var slugRE = regexp.MustCompile(`[^a-z0-9]+`)

func slug(name string) string {
	s := strings.Trim(slugRE.ReplaceAllString(strings.ToLower(name), "_"), "_")
	if len(s) > 40 {
		s = strings.TrimRight(s[:40], "_")
	}
	if s == "" {
		s = "workflow"
	}
	return s
}

// CreateWorkflow stores a new workflow with the definition as version 1 (a draft unless publish is set).
func (a *App) CreateWorkflow(ctx context.Context, actor *Actor, def *workflow.Definition, publish bool) (Saved, error) {
	if err := requireManager(actor, "create workflows"); err != nil {
		return Saved{}, err
	}
	plan, err := a.Validate(ctx, def)
	if err != nil {
		return Saved{}, err
	}
	id := def.ID
	if id == "" {
		id = slug(def.Name) + "_" + strings.ToLower(auth.RandomSecret(3))
	}
	now := a.Clock.Now()
	saved := Saved{ID: id, Version: 1, Warnings: warningsOf(plan)}
	err = a.createTx(ctx, func(tx *store.Tx) (any, error) {
		exists, err := tx.Workflows().Exists(ctx, id)
		if err != nil {
			return nil, err
		}
		if exists {
			return nil, fail(ErrConflict, fmt.Sprintf("a workflow with the id %q exists already; send a new version with PUT /api/workflows/%s, or choose another id", id, id))
		}
		wf := &store.Workflow{ID: id, Name: def.Name, Description: def.Description, Enabled: true, LatestVersion: 0,
			TriggerType: def.Trigger.Type, CreatedBy: actor.Email, CreatedAt: now, UpdatedAt: now}
		if err := tx.Workflows().CreateWorkflow(ctx, wf); err != nil {
			return nil, err
		}
		return saved, a.addVersion(ctx, tx, actor, wf, def, publish, now)
	})
	if err != nil {
		return Saved{}, err
	}
	if publish {
		a.audit(ctx, actor, "workflow published", "workflow", saved.ID, nil, map[string]any{"activeVersion": saved.Version})
	}
	return saved, nil
}

// SaveDraft adds a new draft version to a workflow.
func (a *App) SaveDraft(ctx context.Context, actor *Actor, id string, def *workflow.Definition) (Saved, error) {
	if err := requireManager(actor, "change workflows"); err != nil {
		return Saved{}, err
	}
	if def.ID != "" && def.ID != id {
		return Saved{}, &ValidationError{Message: "the definition's id does not match the workflow", Details: []Detail{{Path: "id",
			Message: fmt.Sprintf("the body says %q but the address says %q; remove the id or make them equal", def.ID, id)}}}
	}
	plan, err := a.Validate(ctx, def)
	if err != nil {
		return Saved{}, err
	}
	var saved Saved
	err = a.createTx(ctx, func(tx *store.Tx) (any, error) {
		wf, err := findWorkflow(ctx, tx.Workflows(), id)
		if err != nil {
			return nil, err
		}
		if err := a.addVersion(ctx, tx, actor, wf, def, false, a.Clock.Now()); err != nil {
			return nil, err
		}
		saved = Saved{ID: id, Version: wf.LatestVersion, Warnings: warningsOf(plan)}
		return saved, nil
	})
	return saved, err
}

func findWorkflow(ctx context.Context, r store.Workflows, id string) (*store.Workflow, error) {
	wf, err := r.Workflow(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &Error{Kind: ErrNotFound, Message: fmt.Sprintf("there is no workflow %q", id)}
	}
	return wf, err
}

// addVersion stores def as the workflow's next version. The stored definition carries its id, version and
// metadata, so an export is complete.
func (a *App) addVersion(ctx context.Context, tx *store.Tx, actor *Actor, wf *store.Workflow, def *workflow.Definition, publish bool, now time.Time) error {
	version := wf.LatestVersion + 1
	stored := *def
	stored.ID, stored.Version = wf.ID, version
	if stored.Metadata.CreatedBy == "" {
		stored.Metadata.CreatedBy = actor.Email
	}
	if stored.Metadata.CreatedAt.IsZero() {
		stored.Metadata.CreatedAt = now
	}
	stored.Metadata.UpdatedBy, stored.Metadata.UpdatedAt = actor.Email, now
	body, err := store.ToJSON(stored)
	if err != nil {
		return err
	}
	row := &store.WorkflowVersion{WorkflowID: wf.ID, Version: version, Definition: body, Status: store.VersionDraft,
		CreatedBy: actor.Email, CreatedAt: now}
	added, err := tx.Workflows().AddVersion(ctx, row, wf.LatestVersion, now)
	if err != nil {
		return err
	}
	if !added {
		return fail(ErrConflict, "someone else saved this workflow at the same moment; reload it and save again")
	}
	wf.LatestVersion = version
	if publish {
		return a.publish(ctx, tx, wf, version, &stored, now)
	}
	return nil
}

// Publish makes a version the active one: new executions and triggers use it; running ones stay on theirs.
func (a *App) Publish(ctx context.Context, actor *Actor, id string, version int) error {
	if err := requireManager(actor, "publish workflows"); err != nil {
		return err
	}
	var was *int
	err := a.DB.Tx(ctx, func(tx *store.Tx) error {
		wf, err := findWorkflow(ctx, tx.Workflows(), id)
		if err != nil {
			return err
		}
		was = wf.ActiveVersion
		row, err := findVersion(ctx, tx.Workflows(), id, version)
		if err != nil {
			return err
		}
		def, err := workflow.Decode(row.Definition)
		if err != nil {
			return fmt.Errorf("workflow %s version %d: %w", id, version, err)
		}
		return a.publish(ctx, tx, wf, version, def, a.Clock.Now())
	})
	if err != nil {
		return err
	}
	a.audit(ctx, actor, "workflow published", "workflow", id, map[string]any{"activeVersion": was}, map[string]any{"activeVersion": version})
	return nil
}

func (a *App) publish(ctx context.Context, tx *store.Tx, wf *store.Workflow, version int, def *workflow.Definition, now time.Time) error {
	if err := tx.Workflows().PublishVersion(ctx, wf.ID, version, now); err != nil {
		return err
	}
	if def.Trigger.Type == workflow.TriggerWebhook {
		if _, err := a.ensureWebhook(ctx, tx, wf.ID, false); err != nil {
			return err
		}
	}
	event, _ := def.Trigger.Configuration["event"].(string)
	return tx.Workflows().Activate(ctx, wf.ID, store.Activation{Version: version, Name: def.Name,
		Description: def.Description, TriggerType: def.Trigger.Type, TriggerEvent: event, At: now})
}

func findVersion(ctx context.Context, r store.Workflows, id string, version int) (*store.WorkflowVersion, error) {
	row, err := r.Version(ctx, id, version)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &Error{Kind: ErrNotFound, Message: fmt.Sprintf("workflow %q has no version %d", id, version)}
	}
	return row, err
}

// GetDefinition returns a version's definition: the given one, else the active one, else the latest draft.
func (a *App) GetDefinition(ctx context.Context, id string, version int) (*workflow.Definition, error) {
	wf, err := findWorkflow(ctx, a.DB.Workflows(), id)
	if err != nil {
		return nil, err
	}
	if version == 0 {
		version = wf.LatestVersion
		if wf.ActiveVersion != nil {
			version = *wf.ActiveVersion
		}
	}
	row, err := findVersion(ctx, a.DB.Workflows(), id, version)
	if err != nil {
		return nil, err
	}
	def, err := workflow.Decode(row.Definition)
	if err != nil {
		return nil, fmt.Errorf("workflow %s version %d: %w", id, version, err)
	}
	def.ID, def.Version = id, version
	def.Enabled = wf.Enabled
	return def, nil
}

// ListWorkflows lists workflows by name.
func (a *App) ListWorkflows(ctx context.Context, page Page) ([]WorkflowSummary, int64, error) {
	page = page.Normalize()
	total, err := a.DB.Workflows().CountWorkflows(ctx)
	if err != nil {
		return nil, 0, err
	}
	rows, err := a.DB.Workflows().ListWorkflows(ctx, page.Limit, page.Offset)
	if err != nil {
		return nil, 0, err
	}
	out := make([]WorkflowSummary, 0, len(rows))
	for _, w := range rows {
		out = append(out, WorkflowSummary{ID: w.ID, Name: w.Name, Description: w.Description, Enabled: w.Enabled,
			ActiveVersion: w.ActiveVersion, LatestVersion: w.LatestVersion, TriggerType: w.TriggerType,
			TriggerEvent: w.TriggerEvent, UpdatedAt: w.UpdatedAt})
	}
	if err := a.markWebhooks(ctx, out); err != nil {
		return nil, 0, err
	}
	if err := a.markSharedEvents(ctx, out); err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// markSharedEvents fills SameEvent: the enabled, published workflows by event, each event's others.
func (a *App) markSharedEvents(ctx context.Context, items []WorkflowSummary) error {
	published, err := a.DB.Workflows().PublishedWorkflows(ctx)
	if err != nil {
		return err
	}
	byEvent := map[string][]WorkflowRef{}
	for _, w := range published {
		if w.Enabled && w.TriggerType == workflow.TriggerEvent && w.TriggerEvent != "" {
			byEvent[w.TriggerEvent] = append(byEvent[w.TriggerEvent], WorkflowRef{ID: w.ID, Name: w.Name, Version: *w.ActiveVersion})
		}
	}
	for i := range items {
		w := &items[i]
		if !w.Enabled || w.ActiveVersion == nil || w.TriggerType != workflow.TriggerEvent {
			continue
		}
		for _, other := range byEvent[w.TriggerEvent] {
			if other.ID != w.ID {
				w.SameEvent = append(w.SameEvent, other)
			}
		}
	}
	return nil
}

// ListVersions lists a workflow's versions, newest first.
func (a *App) ListVersions(ctx context.Context, id string) ([]VersionSummary, error) {
	if _, err := findWorkflow(ctx, a.DB.Workflows(), id); err != nil {
		return nil, err
	}
	rows, err := a.DB.Workflows().Versions(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]VersionSummary, 0, len(rows))
	for _, r := range rows {
		out = append(out, VersionSummary{Version: r.Version, Status: r.Status, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, PublishedAt: r.PublishedAt})
	}
	return out, nil
}

// SetEnabled turns a workflow's triggers and starts on or off.
func (a *App) SetEnabled(ctx context.Context, actor *Actor, id string, enabled bool) error {
	if err := requireManager(actor, "enable or disable workflows"); err != nil {
		return err
	}
	found, err := a.DB.Workflows().SetEnabled(ctx, id, enabled, a.Clock.Now())
	if err != nil {
		return err
	}
	if !found {
		return &Error{Kind: ErrNotFound, Message: fmt.Sprintf("there is no workflow %q", id)}
	}
	a.audit(ctx, actor, map[bool]string{true: "workflow enabled", false: "workflow disabled"}[enabled], "workflow", id,
		nil, map[string]any{"enabled": enabled})
	return nil
}

// activePlan is the plan new executions of a workflow run on.
func (a *App) activePlan(ctx context.Context, id string) (*workflow.Plan, error) {
	wf, err := findWorkflow(ctx, a.DB.Workflows(), id)
	if err != nil {
		return nil, err
	}
	if !wf.Enabled {
		return nil, fail(ErrConflict, fmt.Sprintf("workflow %q is disabled; enable it to start it", wf.Name))
	}
	if wf.ActiveVersion == nil {
		return nil, fail(ErrConflict, fmt.Sprintf("workflow %q has no published version; publish a version first", wf.Name))
	}
	return a.Engine.Plan(ctx, id, *wf.ActiveVersion)
}
