package app

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kitchenpantry/pantryflow/internal/actions"
	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/internal/secrets"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// SecretInfo is a secret as people see it: everything but its value, which no route ever answers.
type SecretInfo struct {
	Name      string        `json:"name"`
	Version   int           `json:"version"`
	CreatedBy string        `json:"createdBy"`
	CreatedAt time.Time     `json:"createdAt"`
	UpdatedBy string        `json:"updatedBy"`
	UpdatedAt time.Time     `json:"updatedAt"`
	UsedBy    []WorkflowRef `json:"usedBy"`
}

// WorkflowRef names a workflow version.
type WorkflowRef struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Version int    `json:"version"`
}

// Secret value limits.
const (
	MinSecretLength = 8
	MaxSecretLength = 8 << 10
)

var secretNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,63}$`)

// SecretsReady reports whether this server can store secrets (PANTRYFLOW_SECRET_KEY is set).
func (a *App) SecretsReady() bool { return a.Secrets.Ready() }

// ListSecrets lists the secrets with the published workflows that use them.
func (a *App) ListSecrets(ctx context.Context, actor *Actor) ([]SecretInfo, error) {
	if err := requireManager(actor, "see the secrets"); err != nil {
		return nil, err
	}
	rows, err := a.DB.ListSecrets(ctx)
	if err != nil {
		return nil, err
	}
	uses, err := a.secretUses(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]SecretInfo, 0, len(rows))
	for i := range rows {
		info := secretInfo(&rows[i])
		info.UsedBy = uses[info.Name]
		if info.UsedBy == nil {
			info.UsedBy = []WorkflowRef{}
		}
		out = append(out, info)
	}
	return out, nil
}

func secretInfo(s *store.Secret) SecretInfo {
	return SecretInfo{Name: s.Name, Version: s.Version, CreatedBy: s.CreatedBy, CreatedAt: s.CreatedAt,
		UpdatedBy: s.UpdatedBy, UpdatedAt: s.UpdatedAt, UsedBy: []WorkflowRef{}}
}

// secretUses maps each secret to the published versions whose steps read it.
func (a *App) secretUses(ctx context.Context) (map[string][]WorkflowRef, error) {
	wfs, err := a.DB.Workflows().PublishedWorkflows(ctx)
	if err != nil {
		return nil, err
	}
	uses := map[string][]WorkflowRef{}
	for _, wf := range wfs {
		plan, err := a.Engine.Plan(ctx, wf.ID, *wf.ActiveVersion)
		if err != nil {
			return nil, err
		}
		var names []string
		for _, step := range plan.Steps {
			if step.Action != nil {
				names = append(names, step.Action.Secrets...)
			}
		}
		slices.Sort(names)
		for _, n := range slices.Compact(names) {
			uses[n] = append(uses[n], WorkflowRef{ID: wf.ID, Name: wf.Name, Version: *wf.ActiveVersion})
		}
	}
	return uses, nil
}

// SecretInput is what a person types to create or rotate a secret.
type SecretInput struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

func (a *App) checkSecret(in SecretInput, withName bool) error {
	var details []Detail
	if withName && !secretNameRE.MatchString(in.Name) {
		details = append(details, Detail{Path: "name", Message: "use 1 to 64 letters, digits and _, starting with a letter, for example CRM_API_KEY"})
	}
	switch n := utf8.RuneCountInString(in.Value); {
	case strings.TrimSpace(in.Value) == "":
		details = append(details, Detail{Path: "value", Message: "enter the secret's value"})
	case n < MinSecretLength:
		details = append(details, Detail{Path: "value", Message: fmt.Sprintf(
			"a secret needs at least %d characters, so that Pantryflow can recognise it and hide it wherever it would show", MinSecretLength)})
	case len(in.Value) > MaxSecretLength:
		details = append(details, Detail{Path: "value", Message: fmt.Sprintf("a secret may have at most %d characters", MaxSecretLength)})
	case strings.ContainsAny(in.Value, "\x00\r\n"):
		details = append(details, Detail{Path: "value", Message: "a secret cannot hold line breaks or NUL characters: it would break the header it is sent in"})
	}
	if len(details) > 0 {
		return &ValidationError{Message: "the secret was not saved", Details: details}
	}
	if !a.Secrets.Ready() {
		return fail(ErrConflict, secrets.ErrNoKey.Error())
	}
	return nil
}

// CreateSecret stores a new secret; its value can never be read back.
func (a *App) CreateSecret(ctx context.Context, actor *Actor, in SecretInput) (SecretInfo, error) {
	if err := requireManager(actor, "create secrets"); err != nil {
		return SecretInfo{}, err
	}
	if err := a.checkSecret(in, true); err != nil {
		return SecretInfo{}, err
	}
	var s *store.Secret
	err := a.createTx(ctx, func(tx *store.Tx) (any, error) {
		var err error
		if s, err = a.Secrets.CreateTx(ctx, tx, in.Name, in.Value, actor.Email, a.Clock.Now()); err != nil {
			return nil, err
		}
		return secretInfo(s), nil
	})
	if errors.Is(err, store.ErrExists) {
		return SecretInfo{}, &ValidationError{Message: "the secret was not saved", Details: []Detail{{Path: "name",
			Message: fmt.Sprintf("there is a secret %q already; give it a new value with Rotate instead", in.Name)}}}
	}
	if err != nil {
		return SecretInfo{}, err
	}
	a.audit(ctx, actor, "secret created", "secret", s.Name, nil, map[string]any{"version": s.Version})
	return secretInfo(s), nil
}

// RotateSecret gives a secret a new value; runs use it from their next step that reads it.
func (a *App) RotateSecret(ctx context.Context, actor *Actor, name, value string) (SecretInfo, error) {
	if err := requireManager(actor, "rotate secrets"); err != nil {
		return SecretInfo{}, err
	}
	if err := a.checkSecret(SecretInput{Name: name, Value: value}, false); err != nil {
		return SecretInfo{}, err
	}
	s, err := a.Secrets.Rotate(ctx, name, value, actor.Email, a.Clock.Now())
	if errors.Is(err, store.ErrNotFound) {
		return SecretInfo{}, &Error{Kind: ErrNotFound, Message: fmt.Sprintf("there is no secret %q", name)}
	}
	if err != nil {
		return SecretInfo{}, err
	}
	a.audit(ctx, actor, "secret rotated", "secret", s.Name, map[string]any{"version": s.Version - 1}, map[string]any{"version": s.Version})
	return secretInfo(s), nil
}

// DeleteSecret removes a secret no published workflow uses.
func (a *App) DeleteSecret(ctx context.Context, actor *Actor, name string) error {
	if err := requireManager(actor, "delete secrets"); err != nil {
		return err
	}
	uses, err := a.secretUses(ctx)
	if err != nil {
		return err
	}
	if refs := uses[name]; len(refs) > 0 {
		names := make([]string, 0, len(refs))
		for _, r := range refs {
			names = append(names, fmt.Sprintf("%q (version %d)", r.Name, r.Version))
		}
		return fail(ErrConflict, fmt.Sprintf("the secret %q is used by %s; publish a version without it first, or rotate it instead", name, strings.Join(names, ", ")))
	}
	if err := a.DB.DeleteSecret(ctx, name); errors.Is(err, store.ErrNotFound) {
		return &Error{Kind: ErrNotFound, Message: fmt.Sprintf("there is no secret %q", name)}
	} else if err != nil {
		return err
	}
	a.audit(ctx, actor, "secret deleted", "secret", name, nil, nil)
	return nil
}

// RedactDefinition masks the credentials written into a definition's steps (an Authorization header, an
// api_key in an address) for people who may read the workflow but not change it. Managers see them: they
// wrote them, and saving warns them to move them to secrets.
func (a *App) RedactDefinition(actor *Actor, def *workflow.Definition) *workflow.Definition {
	if actor != nil && actor.Role.AtLeast(auth.RoleManager) {
		return def
	}
	env := a.Engine.Environment(nil)
	out := *def
	out.Steps = make([]workflow.Step, len(def.Steps))
	for i, s := range def.Steps {
		out.Steps[i] = s
		if s.Type != workflow.StepAction {
			continue
		}
		name, _ := s.Configuration["action"].(string)
		params, _ := s.Configuration["parameters"].(map[string]any)
		spec, ok := env.Action(name)
		if !ok || spec.Redact == nil || params == nil {
			continue
		}
		cfg := make(map[string]any, len(s.Configuration))
		for k, v := range s.Configuration {
			cfg[k] = v
		}
		cfg["parameters"] = spec.Redact(params)
		out.Steps[i].Configuration = cfg
	}
	return &out
}

// ReadDefinition is GetDefinition for someone who reads it, with what they may not see masked.
func (a *App) ReadDefinition(ctx context.Context, actor *Actor, id string, version int) (*workflow.Definition, error) {
	def, err := a.GetDefinition(ctx, id, version)
	if err != nil {
		return nil, err
	}
	return a.RedactDefinition(actor, def), nil
}

// StepWarnings are the warnings about one step: the credentials written into its parameters.
func (a *App) StepWarnings(step workflow.Step) []Warning {
	name, _ := step.Configuration["action"].(string)
	params, _ := step.Configuration["parameters"].(map[string]any)
	spec, ok := a.Engine.Environment(nil).Action(name)
	if step.Type != workflow.StepAction || !ok || spec.Warn == nil || params == nil {
		return nil
	}
	var out []Warning
	for _, w := range spec.Warn(params) {
		out = append(out, Warning{Path: w.Path, StepID: step.ID, Message: w.Message, Suggest: w.Hint})
	}
	return out
}

// MoveCredential stores the credential at where in a step's parameters (a warning's path) as a new secret
// and returns the step with {{ secrets.NAME }} in its place.
func (a *App) MoveCredential(ctx context.Context, actor *Actor, step workflow.Step, where, name string) (workflow.Step, error) {
	if err := requireManager(actor, "create secrets"); err != nil {
		return step, err
	}
	params, _ := step.Configuration["parameters"].(map[string]any)
	if action, _ := step.Configuration["action"].(string); action != "call_api" || params == nil {
		return step, fail(ErrInvalid, "only a Call an API step's credentials can be moved to a secret")
	}
	moved, value, err := actions.MoveCredential(params, where, name)
	if err != nil {
		return step, fail(ErrInvalid, err.Error())
	}
	if _, err := a.CreateSecret(ctx, actor, SecretInput{Name: name, Value: value}); err != nil {
		return step, err
	}
	cfg := make(map[string]any, len(step.Configuration))
	for k, v := range step.Configuration {
		cfg[k] = v
	}
	cfg["parameters"] = moved
	step.Configuration = cfg
	return step, nil
}
