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
	"unicode/utf8"

	"github.com/kitchenpantry/pantryflow/internal/crm"
	"github.com/kitchenpantry/pantryflow/internal/expression"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// Limits of a mail template.
const (
	MaxTemplateSubject = 200
	MaxTemplateBody    = 20000
)

var templateNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// MailTemplate is a mail template as its page and the API show it: the placeholders are the names its
// subject and body read, which a send_email step must give (in its data) or have (as variables).
type MailTemplate struct {
	Name         string        `json:"name"`
	Subject      string        `json:"subject"`
	Body         string        `json:"body"`
	Placeholders []string      `json:"placeholders"`
	Version      int           `json:"version"`
	UpdatedBy    string        `json:"updatedBy"`
	UpdatedAt    time.Time     `json:"updatedAt"`
	UsedBy       []TemplateUse `json:"usedBy"`
}

// TemplateUse is a step of a published workflow that sends the template.
type TemplateUse struct {
	WorkflowRef
	StepID   string `json:"stepId"`
	StepName string `json:"stepName"`
}

// MailTemplateVersion is one saved version of a template.
type MailTemplateVersion struct {
	Version   int       `json:"version"`
	Subject   string    `json:"subject"`
	Body      string    `json:"body"`
	CreatedBy string    `json:"createdBy"`
	CreatedAt time.Time `json:"createdAt"`
}

// MailTemplateInput is what a person writes: the name (only when creating), subject and body, and the
// version they edited (when updating; 0 saves over whatever is there).
type MailTemplateInput struct {
	Name    string `json:"name"`
	Subject string `json:"subject"`
	Body    string `json:"body"`
	Version int    `json:"version"`
}

// TemplatePreview asks for a template filled in: with a CRM record (recordType and recordId), or with
// variables; Subject and Body, when set, preview that text instead of the stored one (an edit not saved).
type TemplatePreview struct {
	RecordType string         `json:"recordType"`
	RecordID   string         `json:"recordId"`
	Variables  map[string]any `json:"variables"`
	Subject    *string        `json:"subject,omitempty"`
	Body       *string        `json:"body,omitempty"`
}

// Previewed is a template filled in. Missing are placeholders the record or the variables do not have:
// they show as [name], and a send_email step must give them in its data.
type Previewed struct {
	Subject string   `json:"subject"`
	Body    string   `json:"body"`
	Missing []string `json:"missing"`
	// Record names the record it was filled with, for the page ("Ana Lopez, Bistro Ana").
	Record string `json:"record,omitempty"`
}

// TemplatePlaceholders lists the names a template reads; none when it does not parse.
func TemplatePlaceholders(subject, body string) []string {
	names, ok := placeholdersOf(subject, body)
	if !ok {
		return []string{}
	}
	return names
}

func mailTemplateOf(t *store.EmailTemplate, uses []TemplateUse) MailTemplate {
	if uses == nil {
		uses = []TemplateUse{}
	}
	return MailTemplate{Name: t.Name, Subject: t.Subject, Body: t.Body, Placeholders: TemplatePlaceholders(t.Subject, t.Body),
		Version: max(t.Version, 1), UpdatedBy: t.UpdatedBy, UpdatedAt: t.UpdatedAt, UsedBy: uses}
}

// templateUses maps each template to the steps of published workflows that send it.
func (a *App) templateUses(ctx context.Context) (map[string][]TemplateUse, error) {
	wfs, err := a.DB.Workflows().PublishedWorkflows(ctx)
	if err != nil {
		return nil, err
	}
	uses := map[string][]TemplateUse{}
	for _, wf := range wfs {
		plan, err := a.Engine.Plan(ctx, wf.ID, *wf.ActiveVersion)
		if err != nil {
			return nil, err
		}
		for _, step := range plan.Steps {
			if step.Action == nil {
				continue
			}
			if p, ok := step.Action.Parameters.(*workflow.SendEmailParams); ok && p.Template != "" {
				uses[p.Template] = append(uses[p.Template], TemplateUse{
					WorkflowRef: WorkflowRef{ID: wf.ID, Name: wf.Name, Version: *wf.ActiveVersion}, StepID: step.ID, StepName: step.Name})
			}
		}
	}
	return uses, nil
}

// ListMailTemplates lists the templates by name, with the published steps that send each.
func (a *App) ListMailTemplates(ctx context.Context, actor *Actor) ([]MailTemplate, error) {
	if err := requireManager(actor, "see mail templates"); err != nil {
		return nil, err
	}
	rows, err := a.DB.EmailTemplates(ctx)
	if err != nil {
		return nil, err
	}
	uses, err := a.templateUses(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]MailTemplate, len(rows))
	for i := range rows {
		out[i] = mailTemplateOf(&rows[i], uses[rows[i].Name])
	}
	return out, nil
}

func (a *App) findTemplate(ctx context.Context, name string) (*store.EmailTemplate, error) {
	t, err := a.DB.EmailTemplate(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &Error{Kind: ErrNotFound, Message: fmt.Sprintf("there is no mail template %q", name)}
	}
	return t, err
}

// GetMailTemplate reads one template.
func (a *App) GetMailTemplate(ctx context.Context, actor *Actor, name string) (MailTemplate, error) {
	if err := requireManager(actor, "see mail templates"); err != nil {
		return MailTemplate{}, err
	}
	t, err := a.findTemplate(ctx, name)
	if err != nil {
		return MailTemplate{}, err
	}
	uses, err := a.templateUses(ctx)
	if err != nil {
		return MailTemplate{}, err
	}
	return mailTemplateOf(t, uses[name]), nil
}

// MailTemplateVersions lists a template's saved versions, newest first.
func (a *App) MailTemplateVersions(ctx context.Context, actor *Actor, name string) ([]MailTemplateVersion, error) {
	if err := requireManager(actor, "see mail templates"); err != nil {
		return nil, err
	}
	if _, err := a.findTemplate(ctx, name); err != nil {
		return nil, err
	}
	rows, err := a.DB.Outbox().TemplateVersions(ctx, name)
	if err != nil {
		return nil, err
	}
	out := make([]MailTemplateVersion, len(rows))
	for i, v := range rows {
		out[i] = MailTemplateVersion{Version: v.Version, Subject: v.Subject, Body: v.Body, CreatedBy: v.CreatedBy, CreatedAt: v.CreatedAt}
	}
	return out, nil
}

// checkTemplateText says what is wrong with a subject and body, by field, in words.
func (a *App) checkTemplateText(in MailTemplateInput) []Detail {
	var details []Detail
	expr := a.Engine.Environment(nil).Expr
	check := func(field, label, src string, limit int) {
		switch {
		case strings.TrimSpace(src) == "":
			details = append(details, Detail{Path: field, Message: "write the " + label})
			return
		case utf8.RuneCountInString(src) > limit:
			details = append(details, Detail{Path: field, Message: fmt.Sprintf("the %s may have at most %d characters; it has %d", label, limit, utf8.RuneCountInString(src))})
			return
		case field == "subject" && strings.ContainsAny(src, "\r\n"):
			details = append(details, Detail{Path: field, Message: "the subject is one line: take out the line breaks"})
			return
		}
		names, err := expression.Placeholders(src)
		if err == nil {
			_, err = expr.ParseTemplate(src, names)
		}
		if err != nil {
			details = append(details, Detail{Path: field, Message: "the " + label + ": " + err.Error()})
		}
	}
	check("subject", "subject", in.Subject, MaxTemplateSubject)
	check("body", "body", in.Body, MaxTemplateBody)
	return details
}

// CreateMailTemplate stores a new template as its version 1.
func (a *App) CreateMailTemplate(ctx context.Context, actor *Actor, in MailTemplateInput) (MailTemplate, error) {
	if err := requireManager(actor, "create mail templates"); err != nil {
		return MailTemplate{}, err
	}
	in.Name = strings.TrimSpace(in.Name)
	details := a.checkTemplateText(in)
	if !templateNameRE.MatchString(in.Name) {
		details = append([]Detail{{Path: "name", Message: "use 1 to 64 lowercase letters, digits and _, starting with a letter, like welcome_qualified_lead"}}, details...)
	}
	if len(details) > 0 {
		return MailTemplate{}, &ValidationError{Message: "the mail template was not saved", Details: details}
	}
	t, err := a.DB.Outbox().SaveTemplate(ctx, in.Name, in.Subject, in.Body, 0, actor.Email, a.Clock.Now())
	if errors.Is(err, store.ErrExists) {
		return MailTemplate{}, &ValidationError{Message: "the mail template was not saved", Details: []Detail{{Path: "name",
			Message: fmt.Sprintf("there is a mail template %q already: open it to change it, or pick another name", in.Name)}}}
	}
	if err != nil {
		return MailTemplate{}, err
	}
	a.Log.Info("mail template created", "template", t.Name, "by", actor.Email)
	return mailTemplateOf(t, nil), nil
}

// UpdateMailTemplate saves a new version of a template. A published workflow must not start failing for
// it: when the new text reads a placeholder that a step sending it does not give, nothing is saved and the
// answer names the workflows and steps to change first.
func (a *App) UpdateMailTemplate(ctx context.Context, actor *Actor, name string, in MailTemplateInput) (MailTemplate, error) {
	if err := requireManager(actor, "change mail templates"); err != nil {
		return MailTemplate{}, err
	}
	current, err := a.findTemplate(ctx, name)
	if err != nil {
		return MailTemplate{}, err
	}
	if details := a.checkTemplateText(in); len(details) > 0 {
		return MailTemplate{}, &ValidationError{Message: "the mail template was not saved", Details: details}
	}
	uses, err := a.templateUses(ctx)
	if err != nil {
		return MailTemplate{}, err
	}
	if details, err := a.breakingUses(ctx, name, TemplatePlaceholders(in.Subject, in.Body), uses[name]); err != nil {
		return MailTemplate{}, err
	} else if len(details) > 0 {
		return MailTemplate{}, &ValidationError{Message: "the mail template was not saved: published workflows would fail to send it", Details: details}
	}
	previous := in.Version
	if previous == 0 {
		previous = max(current.Version, 1)
	}
	t, err := a.DB.Outbox().SaveTemplate(ctx, name, in.Subject, in.Body, previous, actor.Email, a.Clock.Now())
	switch {
	case errors.Is(err, store.ErrStale):
		return MailTemplate{}, fail(ErrConflict, fmt.Sprintf("someone saved the mail template %q since you opened version %d: open it again to see their change, then make yours", name, in.Version))
	case errors.Is(err, store.ErrNotFound):
		return MailTemplate{}, &Error{Kind: ErrNotFound, Message: fmt.Sprintf("there is no mail template %q: it was deleted", name)}
	case err != nil:
		return MailTemplate{}, err
	}
	a.Log.Info("mail template saved", "template", name, "version", t.Version, "by", actor.Email)
	return mailTemplateOf(t, uses[name]), nil
}

// breakingUses checks the published workflows that send the template against its new placeholders, with
// the same check a save of the workflow makes (one environment for all of them).
func (a *App) breakingUses(ctx context.Context, name string, placeholders []string, uses []TemplateUse) ([]Detail, error) {
	var details []Detail
	if len(uses) == 0 {
		return nil, nil
	}
	env, err := a.checkEnv(ctx, map[string][]string{name: placeholders})
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, u := range uses {
		if seen[u.ID] {
			continue
		}
		seen[u.ID] = true
		published, err := a.Engine.Plan(ctx, u.ID, u.Version)
		if err != nil {
			return nil, err
		}
		_, err = compileChecked(published.Def, env)
		var verr *ValidationError
		if errors.As(err, &verr) {
			for _, d := range verr.Details {
				if !strings.HasSuffix(d.Path, "parameters.data") {
					continue
				}
				step := d.StepID
				for _, s := range uses {
					if s.ID == u.ID && s.StepID == d.StepID {
						step = s.StepName
					}
				}
				details = append(details, Detail{Path: "body", StepID: d.StepID, Message: fmt.Sprintf(
					"%q (version %d), step %q: %s; give it there and publish, then save the template", u.Name, u.Version, step, d.Message)})
			}
		} else if err != nil {
			return nil, err
		}
	}
	return details, nil
}

// DeleteMailTemplate removes a template no published workflow sends.
func (a *App) DeleteMailTemplate(ctx context.Context, actor *Actor, name string) error {
	if err := requireManager(actor, "delete mail templates"); err != nil {
		return err
	}
	uses, err := a.templateUses(ctx)
	if err != nil {
		return err
	}
	if refs := uses[name]; len(refs) > 0 {
		names := make([]string, 0, len(refs))
		for _, r := range refs {
			names = append(names, fmt.Sprintf("%q (step %q)", r.Name, r.StepName))
		}
		return fail(ErrConflict, fmt.Sprintf("the mail template %q is sent by %s: publish versions without it first", name, strings.Join(names, ", ")))
	}
	if err := a.DB.Outbox().DeleteTemplate(ctx, name); errors.Is(err, store.ErrNotFound) {
		return &Error{Kind: ErrNotFound, Message: fmt.Sprintf("there is no mail template %q", name)}
	} else if err != nil {
		return err
	}
	a.Log.Info("mail template deleted", "template", name, "by", actor.Email)
	return nil
}

// PreviewMailTemplate fills a template in with a CRM record or with variables, as a send_email step would:
// the record is there under its kind (lead.firstName) and by its own fields (firstName), as a step that
// gives them in its data would. Nothing is sent.
func (a *App) PreviewMailTemplate(ctx context.Context, actor *Actor, name string, in TemplatePreview) (Previewed, error) {
	if err := requireManager(actor, "preview mail templates"); err != nil {
		return Previewed{}, err
	}
	t, err := a.findTemplate(ctx, name)
	if err != nil {
		return Previewed{}, err
	}
	subject, body := t.Subject, t.Body
	if in.Subject != nil {
		subject = *in.Subject
	}
	if in.Body != nil {
		body = *in.Body
	}
	if details := a.checkTemplateText(MailTemplateInput{Subject: subject, Body: body}); len(details) > 0 {
		return Previewed{}, &ValidationError{Message: "the mail template cannot be previewed", Details: details}
	}
	env := map[string]any{}
	var out Previewed
	if in.RecordType != "" || in.RecordID != "" {
		e := crm.Entity(in.RecordType)
		if _, ok := crm.Schema(e); !ok {
			return Previewed{}, &ValidationError{Message: "the mail template cannot be previewed", Details: []Detail{{Path: "recordType",
				Message: "pick a lead, contact, company, opportunity or task"}}}
		}
		rec, err := a.GetRecord(ctx, actor, e, in.RecordID)
		if err != nil {
			return Previewed{}, err
		}
		maps.Copy(env, rec)
		env[string(e)] = map[string]any(rec)
		out.Record = RecordLabel(rec)
	}
	maps.Copy(env, in.Variables)
	out.Missing = []string{}
	for _, n := range TemplatePlaceholders(subject, body) {
		if _, ok := env[n]; !ok {
			out.Missing = append(out.Missing, n)
			env[n] = "[" + n + "]"
		}
	}
	expr := a.Engine.Environment(nil).Expr
	render := func(label, src string) (string, error) {
		tmpl, err := expr.ParseTemplate(src, slices.Collect(maps.Keys(env)))
		if err == nil {
			var v any
			if v, err = tmpl.Render(ctx, env); err == nil {
				return fmt.Sprint(v), nil
			}
		}
		return "", &ValidationError{Message: "the mail template cannot be filled in with this record", Details: []Detail{{Path: label,
			Message: "the " + label + ": " + err.Error()}}}
	}
	if out.Subject, err = render("subject", subject); err != nil {
		return Previewed{}, err
	}
	if out.Body, err = render("body", body); err != nil {
		return Previewed{}, err
	}
	return out, nil
}

// RecordLabel names a record as a person would: "Ana Lopez, Bistro Ana", or its name or title.
func RecordLabel(rec crm.Record) string { return workflow.RecordLabel(rec) }
