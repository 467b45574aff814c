package actions

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"

	"github.com/riverqueue/river"

	"github.com/kitchenpantry/pantryflow/internal/mailer"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// SendEmail puts a mail in the outbox together with its delivery job (internal/mailer sends it over SMTP).
// The outbox is unique on the step activation's idempotency key, so a step that runs twice never mails twice.
type SendEmail struct{ deps Deps }

// Spec implements Action.
func (SendEmail) Spec() workflow.ActionSpec {
	return workflow.ActionSpec{
		Outputs: []string{"mailId", "to", "subject"},
		Name:    "send_email", Title: "Send an email",
		Description: "Sends an email from a stored template to one recipient.",
		Params: []workflow.ParamSpec{
			{Name: "template", Kind: workflow.ParamText, Required: true, Description: "the email template, for example welcome_qualified_lead"},
			{Name: "recipient", Kind: workflow.ParamEmail, Required: true, Description: "the address, for example {{lead.email}}"},
			{Name: "data", Kind: workflow.ParamObject, Description: "values the template uses, for example firstName"},
		},
		Check: checkSendEmail,
	}
}

// Run implements Action.
func (a SendEmail) Run(ctx context.Context, in Input) (Result, error) {
	to, err := emailAddress("send_email", "recipient", in.Params)
	if err != nil {
		return Result{}, err
	}
	name, err := requiredText("send_email", in.Params, "template")
	if err != nil {
		return Result{}, err
	}
	tmpl, err := a.deps.Directory.EmailTemplate(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return Result{}, workflow.Permanent(workflow.ClassValidation, fmt.Errorf("send_email: there is no email template %q", name))
	}
	if err != nil {
		return Result{}, workflow.Transient(workflow.ClassOther, err)
	}
	env := map[string]any{} // not maps.Clone: it returns nil for nil Vars, and copying data into nil panics
	maps.Copy(env, in.Vars)
	if data, ok := in.Params["data"].(map[string]any); ok {
		maps.Copy(env, data)
	}
	subject, err := a.render(ctx, tmpl.Subject, env)
	if err != nil {
		return Result{}, ExpressionFailure(fmt.Errorf("send_email: the subject of template %q: %w", name, err))
	}
	body, err := a.render(ctx, tmpl.Body, env)
	if err != nil {
		return Result{}, ExpressionFailure(fmt.Errorf("send_email: the body of template %q: %w", name, err))
	}
	execID := in.ExecutionID
	m := &store.Mail{
		ID: a.deps.NewID(), IdempotencyKey: in.IdempotencyKey, ExecutionID: &execID, StepID: in.StepID,
		Template: name, ToAddress: to, Subject: subject, Body: body, Status: store.MailQueued, CreatedAt: in.Now,
	}
	res := Result{
		Output:  map[string]any{"mailId": m.ID, "to": to, "subject": subject},
		Message: fmt.Sprintf("Queued %q to %s", subject, to),
		Effects: []store.Effect{QueueMail{Mail: m, enqueue: a.deps.EnqueueTx}},
	}
	if in.Test {
		return recorded(Result{Message: fmt.Sprintf("would send %q to %s", subject, to)},
			map[string]any{"mail": map[string]any{"to": to, "subject": subject, "body": body, "template": name}}), nil
	}
	return res, nil
}

// QueueMail is send_email's effect: it puts the mail in the outbox and, only if that inserted a row, enqueues
// its delivery job, both in the step's transaction. So a mail is queued for delivery exactly when its step
// commits, and a step that runs again (same idempotency key) neither adds a mail nor a second job.
type QueueMail struct {
	Mail    *store.Mail
	enqueue func(ctx context.Context, tx *store.Tx, args river.JobArgs) error
}

// NewQueueMail is the effect that queues m with its delivery job, which enqueue inserts in the transaction.
func NewQueueMail(m *store.Mail, enqueue func(ctx context.Context, tx *store.Tx, args river.JobArgs) error) QueueMail {
	return QueueMail{Mail: m, enqueue: enqueue}
}

// Apply implements store.Effect.
func (e QueueMail) Apply(ctx context.Context, tx *store.Tx) error {
	if e.enqueue == nil {
		return fmt.Errorf("send_email: mail %s: no job queue to deliver it (actions.Deps.EnqueueTx is not set)", e.Mail.ID)
	}
	queued, err := tx.Outbox().QueueMail(ctx, e.Mail)
	if err != nil {
		return fmt.Errorf("send_email: queue mail %s: %w", e.Mail.ID, err)
	}
	if !queued {
		return nil // queued by an earlier run of this step activation, with its job
	}
	if err := e.enqueue(ctx, tx, mailer.DeliverArgs{MailID: e.Mail.ID}); err != nil {
		return fmt.Errorf("send_email: queue mail %s: %w", e.Mail.ID, err)
	}
	return nil
}

// render fills a stored template. Names in it are whatever the environment holds, so it compiles against
// those names: a name neither in the variables nor the data is an error naming it.
func (a SendEmail) render(ctx context.Context, src string, env map[string]any) (string, error) {
	names := make([]string, 0, len(env))
	for k := range env {
		names = append(names, k)
	}
	t, err := a.deps.Expr.ParseTemplate(src, names)
	if err != nil {
		return "", err
	}
	v, err := t.Render(ctx, env)
	if err != nil {
		return "", err
	}
	s, ok := v.(string)
	if !ok {
		return fmt.Sprint(v), nil
	}
	return s, nil
}

// checkSendEmail checks at save what send_email can know before it runs: the template exists, and each
// name it reads is given in data or is a variable of the workflow (an event's record is one), so a
// published workflow does not fail on a placeholder the designer could have seen missing.
func checkSendEmail(params map[string]any, env workflow.CheckEnv) []workflow.Problem {
	name, ok := params["template"].(string)
	if !ok || name == "" || strings.Contains(name, "{{") {
		return nil
	}
	if !env.EmailTemplateExists(name) {
		return []workflow.Problem{{Path: "template", Message: fmt.Sprintf("there is no email template %q", name)}}
	}
	placeholders, known := env.EmailTemplatePlaceholders(name)
	data, isMap := params["data"].(map[string]any)
	if _, given := params["data"]; !known || (given && !isMap) {
		return nil // data written as one {{ template }} gives names only when it runs
	}
	var missing []string
	for _, p := range placeholders {
		if _, inData := data[p]; !inData && !env.IsDeclared(p) {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	quoted := make([]string, len(missing))
	for i, m := range missing {
		quoted[i] = strconv.Quote(m)
	}
	return []workflow.Problem{{Path: "data", Message: fmt.Sprintf("template %q uses %s, which this step does not give: add %s to data, like %s: \"{{ lead.firstName }}\" with the value the mail should show",
		name, strings.Join(quoted, ", "), pluralWord(len(missing), "it", "them"), quoted[0])}}
}

func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
