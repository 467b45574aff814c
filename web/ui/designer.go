package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/internal/crm"
	"github.com/kitchenpantry/pantryflow/internal/forms"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
	"github.com/kitchenpantry/pantryflow/static"
	"github.com/kitchenpantry/pantryflow/views"
	"github.com/kitchenpantry/pantryflow/web/httpx"
)

// DesignerRoutes are the designer's page, its panels and its JSON endpoints (docs/DESIGNER.md), the export,
// restore and diff of versions, and the template gallery. All of them are for managers.
func (s *Handlers) DesignerRoutes() []httpx.Route {
	manager := auth.RoleManager
	return []httpx.Route{
		httpx.GET("designer.new", "/workflows/new", manager, s.newWorkflowPage),
		httpx.GET("designer.page", "/workflows/:id/designer", manager, s.designerPage),
		httpx.POST("designer.panel", "/designer/panel", manager, s.stepPanel),
		httpx.POST("designer.trigger", "/designer/trigger", manager, s.triggerPanel),
		httpx.POST("designer.variables", "/designer/variables", manager, s.variablesPanel),
		httpx.POST("designer.webhook.rotate", "/workflows/:id/designer/webhook/rotate", manager, s.rotateWebhookPanel),
		httpx.POST("designer.check", "/designer/check", manager, s.jsonErrors(s.designerCheck)),
		httpx.POST("designer.save", "/workflows/designer/save", manager, s.jsonErrors(s.designerSave)),
		httpx.POST("designer.publish", "/workflows/:id/designer/publish", manager, s.jsonErrors(s.publish)),
		httpx.GET("designer.runform", "/workflows/:id/designer/run-form", manager, s.designerRunForm),
		httpx.POST("designer.test", "/workflows/:id/designer/test", manager, s.jsonErrors(s.designerTest)),
		httpx.GET("designer.runs", "/designer/runs/:executionId", manager, s.jsonErrors(s.designerRun)),
		httpx.GET("workflows.export", "/workflows/:id/export", manager, s.exportWorkflow),
		httpx.POST("workflows.restore", "/workflows/:id/versions/:v/restore", manager, s.restoreVersion),
		httpx.GET("workflows.diff", "/workflows/:id/diff", manager, s.diffPage),
		httpx.GET("workflows.replay", "/workflows/:id/replay", manager, s.replayPage),
	}
}

// jsonErrors answers a JSON endpoint's errors as JSON ({error, details}), as the API does, although the
// designer's endpoints live among the pages (sessions, CSRF).
func (s *Handlers) jsonErrors(h echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		err := h(c)
		if err == nil || c.Response().Committed {
			return err
		}
		code, body := httpx.ErrorResponse(err)
		httpx.LogFailure(s.log, c, code, err)
		return c.JSON(code, body)
	}
}

// htmxTriggerID is the header in which htmx names the id of the element that sent the request.
const htmxTriggerID = "HX-Trigger"

// designerFrame is the layout of the designer: the canvas library and the designer's script, and the CSRF
// token where the script's fetch() calls find it.
func (s *Handlers) designerFrame(c echo.Context, title string) views.Page {
	p := s.Frame(c, title, "workflows")
	p.ExtraCSS = []string{static.URL("vendor/drawflow/drawflow.min.css")}
	p.ExtraScripts = []string{static.URL("vendor/drawflow/drawflow.min.js"), static.URL("vendor/dagre/dagre.min.js"),
		static.URL("js/designer.js")}
	p.CSRFMeta = true
	return p
}

// newWorkflowPage is the template gallery, or the designer on an empty workflow (?scratch=1) or a template
// (?template=ID).
func (s *Handlers) newWorkflowPage(c echo.Context) error {
	templateID := c.QueryParam("template")
	if templateID == "" && c.QueryParam("scratch") == "" {
		list, err := app.Templates()
		if err != nil {
			return err
		}
		return httpx.Render(c, http.StatusOK, views.GalleryPage(views.GalleryView{Page: s.Frame(c, "New workflow", "workflows"), Templates: list}))
	}
	def, err := app.NewDefinition(templateID)
	if err != nil {
		return err
	}
	status := "A new workflow: nothing is saved until you press Save draft."
	if templateID != "" {
		status = "From the template “" + def.Name + "”: nothing is saved until you press Save draft."
	}
	return s.renderDesigner(c, "", 0, false, def, status)
}

func (s *Handlers) designerPage(c echo.Context) error {
	w, err := s.workflowSummary(c, c.Param("id"))
	if err != nil {
		return err
	}
	version, err := versionParam(c, "version", w.LatestVersion)
	if err != nil {
		return err
	}
	def, err := s.app.GetDefinition(c.Request().Context(), w.ID, version)
	if err != nil {
		return err
	}
	status := fmt.Sprintf("Version %d", version)
	switch {
	case w.ActiveVersion != nil && *w.ActiveVersion == version:
		status += ", the published one."
	case w.ActiveVersion != nil:
		status += fmt.Sprintf(", a draft; version %d is published.", *w.ActiveVersion)
	default:
		status += ", a draft; nothing is published yet."
	}
	if version < w.LatestVersion {
		status += fmt.Sprintf(" Saving makes version %d.", w.LatestVersion+1)
	}
	if len(w.SameEvent) > 0 {
		names := make([]string, len(w.SameEvent))
		for i, o := range w.SameEvent {
			names[i] = fmt.Sprintf("%q", o.Name)
		}
		status += fmt.Sprintf(" Careful: %s also starts %s, so each such event runs both.", w.TriggerEvent, strings.Join(names, " and "))
	}
	return s.renderDesigner(c, w.ID, version, w.ActiveVersion != nil, def, status)
}

// renderDesigner opens the designer; published says a version of the workflow is published (from then on
// a renamed step keeps its id, which runs and links name).
func (s *Handlers) renderDesigner(c echo.Context, id string, version int, published bool, def *workflow.Definition, status string) error {
	catalog, err := s.app.DesignerCatalog(c.Request().Context())
	if err != nil {
		return err
	}
	title := "Designer: " + def.Name
	return httpx.Render(c, http.StatusOK, views.DesignerPage(views.DesignerView{Page: s.designerFrame(c, title), WorkflowID: id,
		Version: version, Published: published, Definition: def, Catalog: catalog, Summaries: app.SummarizeSteps(def, catalog.Actions), Status: status}))
}

// versionParam reads a version number from the query; absent means fallback.
func versionParam(c echo.Context, name string, fallback int) (int, error) {
	raw := c.QueryParam(name)
	if raw == "" {
		return fallback, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 {
		return 0, httpx.BadQuery(name, name+" must be a version number such as 2")
	}
	return n, nil
}

// panelSeqHeader is the header on which a panel's answer says which request it answers: the request's
// seq, the number designer.js gives each panel request, so the script shows only the answer to the newest
// one and drops a late one (docs/DESIGNER.md, "The side panel protocol").
const panelSeqHeader = "Pantryflow-Panel-Seq"

// panelRequest is what every panel request carries: the form and the definition in it. It echoes the
// request's seq on the answer, for every panel route and also when the request fails, when seq is a
// positive number of at most nine digits (anything else is not repeated).
func panelRequest(c echo.Context) (url.Values, *workflow.Definition, error) {
	form, err := c.FormParams()
	if err != nil {
		return nil, nil, &app.Error{Kind: app.ErrInvalid, Message: "the panel's form could not be read"}
	}
	if seq := form.Get("seq"); len(seq) <= 9 {
		if n, err := strconv.Atoi(seq); err == nil && n > 0 {
			c.Response().Header().Set(panelSeqHeader, strconv.Itoa(n))
		}
	}
	def, err := workflow.Decode([]byte(form.Get("definition")))
	if err != nil {
		return nil, nil, &app.Error{Kind: app.ErrInvalid, Message: "the panel was sent a definition that cannot be read: " + err.Error()}
	}
	return form, def, nil
}

// stepPanel renders a step's panel; with apply=1 it first applies the panel's fields to the step.
func (s *Handlers) stepPanel(c echo.Context) error {
	ctx := c.Request().Context()
	form, def, err := panelRequest(c)
	if err != nil {
		return err
	}
	catalog, err := s.app.DesignerCatalog(ctx)
	if err != nil {
		return err
	}
	id := form.Get("step")
	base, ok := def.StepByID(id)
	if !ok {
		return &app.Error{Kind: app.ErrNotFound, Message: fmt.Sprintf("the workflow has no step %q; select the step again", id)}
	}
	step, ferrs := *base, app.FormErrors{}
	if form.Get("apply") == "1" {
		step, ferrs = app.ParseStepForm(*base, form, catalog.Actions)
		def = app.ApplyStep(def, step, form.Get("start") == "1")
	}
	notice, moveErr := "", ""
	if where, ok := strings.CutPrefix(form.Get("op"), "move_secret:"); ok {
		name := strings.TrimSpace(form.Get("move." + where))
		moved, err := s.app.MoveCredential(ctx, httpx.Principal(c), step, where, name)
		if msg, refused := refusal(err); refused {
			moveErr = msg
		} else if err != nil {
			return err
		} else {
			step, def = moved, app.ApplyStep(def, moved, form.Get("start") == "1")
			notice = "The credential is now the secret " + name + ", and the step uses {{ secrets." + name + " }}. Save the workflow to keep the change."
		}
	}
	details, err := s.app.CheckDefinition(ctx, def)
	if err != nil {
		return err
	}
	v := views.NewStepPanel(def, step, catalog, details, ferrs, form)
	v.Warnings, v.SecretsReady, v.Notice, v.MoveError = s.app.StepWarnings(step), s.app.SecretsReady(), notice, moveErr
	live, err := s.app.StepLiveValues(ctx, httpx.Principal(c), def, step, form.Get(app.PanelPreview))
	if err != nil {
		return err
	}
	if err := s.setLive(c, &v.Form, &v.Preview, live); err != nil {
		return err
	}
	v.Form.KeepTyping(form, c.Request().Header.Get(htmxTriggerID))
	return httpx.Render(c, http.StatusOK, views.StepPanel(v))
}

func (s *Handlers) triggerPanel(c echo.Context) error {
	return s.renderTriggerPanel(c, false)
}

// rotateWebhookPanel gives the workflow a new webhook address and secret and shows the trigger panel again.
func (s *Handlers) rotateWebhookPanel(c echo.Context) error {
	return s.renderTriggerPanel(c, true)
}

func (s *Handlers) renderTriggerPanel(c echo.Context, rotate bool) error {
	ctx, actor := c.Request().Context(), httpx.Principal(c)
	form, def, err := panelRequest(c)
	if err != nil {
		return err
	}
	ferrs := app.FormErrors{}
	if form.Get("apply") == "1" {
		def.Trigger, ferrs = app.ParseTriggerForm(def.Trigger, form)
	}
	workflowID := form.Get("workflowId")
	if workflowID == "" {
		workflowID = def.ID
	}
	if rotate {
		if workflowID = c.Param("id"); workflowID == "" {
			return &app.Error{Kind: app.ErrInvalid, Message: "say which workflow's webhook to rotate"}
		}
		if _, err := s.app.RotateWebhook(ctx, actor, workflowID); err != nil {
			return err
		}
	}
	details, err := s.app.CheckDefinition(ctx, def)
	if err != nil {
		return err
	}
	var hook *app.WebhookInfo
	note := ""
	if def.Trigger.Type == workflow.TriggerWebhook {
		hook, note, err = s.webhookOf(c, workflowID)
		if err != nil {
			return err
		}
	}
	sched := s.schedulePreview(def.Trigger)
	v := views.NewTriggerPanel(def, workflowID, details, ferrs, form, sched, hook, note)
	live, err := s.app.TriggerLiveValues(ctx, actor, def, form.Get(app.PanelPreview))
	if err != nil {
		return err
	}
	if err := s.setLive(c, &v.Form, &v.Preview, live); err != nil {
		return err
	}
	v.Form.KeepTyping(form, c.Request().Header.Get(htmxTriggerID))
	return httpx.Render(c, http.StatusOK, views.TriggerPanel(v))
}

// webhookOf is a saved workflow's webhook address and secret, or why there is none yet.
func (s *Handlers) webhookOf(c echo.Context, workflowID string) (*app.WebhookInfo, string, error) {
	const unsaved = "Save the workflow to get its address and signing secret."
	if workflowID == "" {
		return nil, unsaved, nil
	}
	hook, err := s.app.Webhook(c.Request().Context(), httpx.Principal(c), workflowID)
	var aerr *app.Error
	switch {
	case errors.As(err, &aerr) && errors.Is(aerr.Kind, app.ErrNotFound):
		return nil, unsaved, nil
	case errors.As(err, &aerr) && errors.Is(aerr.Kind, app.ErrConflict):
		return nil, "The saved version is not started by a webhook yet: save the workflow to get its address and signing secret.", nil
	case err != nil:
		return nil, "", err
	}
	return hook, "", nil
}

// schedulePreview says a scheduled trigger's cron line in words and its next five fire times in its timezone.
func (s *Handlers) schedulePreview(t workflow.Trigger) views.SchedulePreview {
	if t.Type != workflow.TriggerScheduled {
		return views.SchedulePreview{}
	}
	cron, _ := t.Configuration["cron"].(string)
	tz, _ := t.Configuration["timezone"].(string)
	if cron == "" {
		return views.SchedulePreview{}
	}
	next, err := s.app.NextFires(cron, tz, 5)
	if err != nil {
		return views.SchedulePreview{Error: err.Error()}
	}
	p := views.SchedulePreview{Words: app.DescribeCron(cron)}
	for _, at := range next {
		p.Next = append(p.Next, at.Format("Mon 2 Jan 2006, 15:04 MST"))
	}
	if len(p.Next) == 0 {
		p.Error = "the schedule never fires"
	}
	return p
}

func (s *Handlers) variablesPanel(c echo.Context) error {
	ctx := c.Request().Context()
	form, def, err := panelRequest(c)
	if err != nil {
		return err
	}
	ferrs := app.FormErrors{}
	if form.Get("apply") == "1" {
		def.Variables, ferrs = app.ParseVariablesForm(def.Variables, form)
	}
	details, err := s.app.CheckDefinition(ctx, def)
	if err != nil {
		return err
	}
	v := views.NewVariablesPanel(def, details, ferrs, form)
	v.Form.KeepTyping(form, c.Request().Header.Get(htmxTriggerID))
	return httpx.Render(c, http.StatusOK, views.VariablesPanel(v))
}

// designerRequest is the body of check and save: {id, definition}.
type designerRequest struct {
	ID         string          `json:"id"`
	Definition json.RawMessage `json:"definition"`
}

func (r designerRequest) definition() (*workflow.Definition, error) {
	if len(r.Definition) == 0 || string(r.Definition) == "null" {
		return nil, &app.ValidationError{Message: "send the workflow as definition", Details: []app.Detail{{Path: "definition", Message: "definition is missing"}}}
	}
	return workflow.Decode(r.Definition)
}

// designerCheck answers a definition's problems (none: an empty list); a definition that does not decode is
// one problem.
func (s *Handlers) designerCheck(c echo.Context) error {
	var req designerRequest
	if err := httpx.BindJSON(c, &req, false); err != nil {
		return err
	}
	problems := []app.Detail{}
	summaries := map[string]app.StepSummary{}
	def, err := req.definition()
	var derr *workflow.DecodeError
	switch {
	case errors.As(err, &derr):
		problems = append(problems, app.Detail{Path: derr.Path, Message: derr.Error()})
	case err != nil:
		return err
	default:
		details, err := s.app.CheckDefinition(c.Request().Context(), def)
		if err != nil {
			return err
		}
		problems = append(problems, details...)
		summaries = app.SummarizeSteps(def, s.app.ActionSpecs())
	}
	return c.JSON(http.StatusOK, map[string]any{"problems": problems, "summaries": summaries})
}

func (s *Handlers) designerSave(c echo.Context) error {
	var req designerRequest
	if err := httpx.BindJSON(c, &req, false); err != nil {
		return err
	}
	def, err := req.definition()
	if err != nil {
		return err
	}
	saved, err := s.app.DesignerSave(c.Request().Context(), httpx.Principal(c), req.ID, def)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, saved)
}

// designerRunForm is the Test run form of a saved version (?version=N, the latest when none is given).
func (s *Handlers) designerRunForm(c echo.Context) error {
	version, _ := strconv.Atoi(c.QueryParam("version"))
	def, err := s.app.GetDefinition(c.Request().Context(), c.Param("id"), version)
	if err != nil {
		return err
	}
	v, err := s.testRunView(c, def, nil, nil)
	if err != nil {
		return err
	}
	return httpx.Render(c, http.StatusOK, views.TestRunForm(v))
}

// setLive puts a panel's live values in it, with a picker of the latest records of the workflow's kind.
func (s *Handlers) setLive(c echo.Context, f *views.PanelForm, p *views.LivePreview, live app.Live) error {
	var choices []app.Choice
	if live.Entity != "" {
		var err error
		if choices, err = s.recordChoices(c, []crm.Entity{crm.Entity(live.Entity)}, "Pick a "+live.Entity+"…"); err != nil {
			return err
		}
	}
	f.SetLive(p, live, choices)
	return nil
}

// pickPrefix names the record picker of a form that starts a run: pick.lead picks the lead variable's record.
const pickPrefix = "pick."

// testRunView is the Test run form: the fields of runFields.
func (s *Handlers) testRunView(c echo.Context, def *workflow.Definition, raw map[string]string, ferrs workflow.FieldErrors) (views.TestRunView, error) {
	v := views.TestRunView{WorkflowID: def.ID, Version: def.Version, CSRF: csrfToken(c)}
	var err error
	if v.Fields, err = s.runFields(c, def, raw, ferrs); err != nil {
		return v, err
	}
	if len(ferrs) > 0 {
		v.Summary = "Please fix the answers marked below; nothing was started."
	}
	return v, nil
}

// runFields are the fields of a form that starts a run (the Run page, the designer's Test run): a field per
// variable and, before the field of the record the workflow is about, a picker of the latest records of its
// kind, so a manager picks "Ana Lopez, Bistro Ana" instead of writing the lead as JSON (the JSON field
// stays, for a record that is not in the CRM).
func (s *Handlers) runFields(c echo.Context, def *workflow.Definition, raw map[string]string, ferrs workflow.FieldErrors) ([]forms.Field, error) {
	fields := views.NewTaskForm("", csrfToken(c), app.RunFields(def), raw, ferrs, nil).Fields
	entity := app.RecordEntity(def)
	var out []forms.Field
	for _, f := range fields {
		if entity != "" && f.Name == entity {
			choices, err := s.recordChoices(c, []crm.Entity{crm.Entity(entity)}, "Pick a "+entity+" from the CRM…")
			if err != nil {
				return nil, err
			}
			out = append(out, forms.Field{Name: pickPrefix + f.Name, Label: "The " + entity, Kind: forms.Select,
				Value: raw[pickPrefix+f.Name], Choices: choices, Errors: problemsOf(ferrs.For(pickPrefix + f.Name)),
				Help: "The run gets this " + entity + " as its event would give it; or write it as JSON below."})
			f.Required = false // the picker gives it
		}
		out = append(out, f)
	}
	return out, nil
}

func problemsOf(msg string) []string {
	if msg == "" {
		return nil
	}
	return []string{msg}
}

// pickedRecords puts the picked record into the form's text as JSON, as its event would give it.
func (s *Handlers) pickedRecords(c echo.Context, def *workflow.Definition, raw map[string]string) workflow.FieldErrors {
	entity := app.RecordEntity(def)
	pick := raw[pickPrefix+entity]
	if entity == "" || pick == "" {
		return nil
	}
	field := pickPrefix + entity
	_, id, _ := strings.Cut(pick, ":")
	rec, err := s.app.GetRecord(c.Request().Context(), httpx.Principal(c), crm.Entity(entity), id)
	if err != nil {
		return workflow.FieldErrors{{Field: field, Message: "that " + entity + " is not in the CRM any more: pick another"}}
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return workflow.FieldErrors{{Field: field, Message: err.Error()}}
	}
	raw[entity] = string(b)
	return nil
}

// designerTest starts a test run of a version (the latest when none is given). The Test run form posts its
// fields (version in the query) and gets itself back with the problems marked (422, HTML); a JSON body
// ({version, variables}) gets JSON problems. Both get the new execution's id as JSON.
func (s *Handlers) designerTest(c echo.Context) error {
	ctx, id := c.Request().Context(), c.Param("id")
	if !strings.HasPrefix(c.Request().Header.Get(echo.HeaderContentType), echo.MIMEApplicationJSON) {
		version, _ := strconv.Atoi(c.QueryParam("version"))
		def, err := s.app.GetDefinition(ctx, id, version)
		if err != nil {
			return err
		}
		raw, err := formValues(c)
		if err != nil {
			return err
		}
		ferrs := s.pickedRecords(c, def, raw)
		vars, valueErrs := app.RunValues(def, raw)
		ferrs = append(ferrs, valueErrs...)
		if len(ferrs) == 0 {
			execID, err := s.app.StartTest(ctx, httpx.Principal(c), id, def.Version, vars)
			if ferrs, err = startProblems(err); err != nil {
				return err
			}
			if len(ferrs) == 0 {
				return c.JSON(http.StatusOK, map[string]string{"executionId": execID})
			}
		}
		v, err := s.testRunView(c, def, raw, ferrs)
		if err != nil {
			return err
		}
		return httpx.Render(c, http.StatusUnprocessableEntity, views.TestRunForm(v))
	}
	var req struct {
		Version   int            `json:"version"`
		Variables map[string]any `json:"variables"`
	}
	if err := httpx.BindJSON(c, &req, true); err != nil {
		return err
	}
	if req.Version == 0 {
		w, err := s.workflowSummary(c, id)
		if err != nil {
			return err
		}
		req.Version = w.LatestVersion
	}
	execID, err := s.app.StartTest(ctx, httpx.Principal(c), id, req.Version, req.Variables)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"executionId": execID})
}

// runStatus is what the canvas lights its nodes from.
type runStatus struct {
	// Status is the execution's status, or "waiting" while it only waits for a delay (until WaitingUntil).
	Status       string              `json:"status"`
	States       map[string]string   `json:"states"`
	WaitingUntil *time.Time          `json:"waitingUntil"`
	Log          []workflow.LogEntry `json:"log"`
	// Tasks are the run's open tasks the person testing may answer, answered in the designer itself.
	Tasks []runTask `json:"tasks"`
}

type runTask struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Step  string `json:"step"`
}

func (s *Handlers) designerRun(c echo.Context) error {
	e, err := s.app.GetExecution(c.Request().Context(), httpx.Principal(c), c.Param("executionId"))
	if err != nil {
		return err
	}
	out := runStatus{Status: e.Status, States: app.StepStates(e), WaitingUntil: e.WaitingUntil, Log: e.ExecutionLog}
	if e.Status == string(workflow.StatusRunning) && e.WaitingUntil != nil {
		out.Status = "waiting"
	}
	if n := len(out.Log); n > 20 {
		out.Log = out.Log[n-20:]
	}
	out.Tasks = []runTask{}
	for _, t := range e.Tasks {
		if t.Status == string(workflow.TaskOpen) && t.Hidden == "" && t.Assignee == httpx.Principal(c).Email {
			out.Tasks = append(out.Tasks, runTask{ID: t.ID, Title: t.Title, Step: t.StepID})
		}
	}
	return c.JSON(http.StatusOK, out)
}

// exportWorkflow sends a version's definition as a file (the latest version unless ?version= says).
func (s *Handlers) exportWorkflow(c echo.Context) error {
	w, err := s.workflowSummary(c, c.Param("id"))
	if err != nil {
		return err
	}
	version, err := versionParam(c, "version", w.LatestVersion)
	if err != nil {
		return err
	}
	body, err := s.app.ExportDefinition(c.Request().Context(), w.ID, version)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s-v%d.json"`, w.ID, version))
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, body)
}

// restoreVersion saves an old version as the newest draft and opens it in the designer.
func (s *Handlers) restoreVersion(c echo.Context) error {
	id := c.Param("id")
	from, err := strconv.Atoi(c.Param("v"))
	if err != nil || from < 1 {
		return &app.Error{Kind: app.ErrNotFound, Message: "there is no such version"}
	}
	saved, err := s.app.RestoreVersion(c.Request().Context(), httpx.Principal(c), id, from)
	if err != nil {
		return err
	}
	s.flash(c, fmt.Sprintf("Version %d is back as version %d, a draft: publish it to use it.", from, saved.Version))
	to := fmt.Sprintf("/workflows/%s/designer?version=%d", url.PathEscape(id), saved.Version)
	if httpx.IsHTMX(c) {
		c.Response().Header().Set(httpx.HTMXRedirect, to)
		return c.NoContent(http.StatusNoContent)
	}
	return c.Redirect(http.StatusSeeOther, to)
}

// diffPage compares two versions: ?from=A&to=B, by default the latest and the one before it.
// replayPage replays a version (?version=, the latest by default) over the last ?runs= runs (100) beside
// the published version.
func (s *Handlers) replayPage(c echo.Context) error {
	w, err := s.workflowSummary(c, c.Param("id"))
	if err != nil {
		return err
	}
	version, err := versionParam(c, "version", w.LatestVersion)
	if err != nil {
		return err
	}
	runs := app.DefaultReplayRuns
	if raw := c.QueryParam("runs"); raw != "" {
		if runs, err = strconv.Atoi(raw); err != nil || runs < 1 || runs > app.MaxReplayRuns {
			return httpx.BadQuery("runs", fmt.Sprintf("runs must be a whole number from 1 to %d", app.MaxReplayRuns))
		}
	}
	r, err := s.app.ReplayWorkflow(c.Request().Context(), httpx.Principal(c), w.ID, app.ReplayRequest{Version: version, Runs: runs})
	if err != nil {
		return err
	}
	title := fmt.Sprintf("Replay of %s v%d", w.Name, version)
	return httpx.Render(c, http.StatusOK, views.ReplayPage(views.NewReplayView(s.Frame(c, title, "workflows"), *w, r)))
}

func (s *Handlers) diffPage(c echo.Context) error {
	ctx := c.Request().Context()
	w, err := s.workflowSummary(c, c.Param("id"))
	if err != nil {
		return err
	}
	to, err := versionParam(c, "to", w.LatestVersion)
	if err != nil {
		return err
	}
	from, err := versionParam(c, "from", max(to-1, 1))
	if err != nil {
		return err
	}
	before, err := s.app.GetDefinition(ctx, w.ID, from)
	if err != nil {
		return err
	}
	after, err := s.app.GetDefinition(ctx, w.ID, to)
	if err != nil {
		return err
	}
	versions, err := s.app.ListVersions(ctx, w.ID)
	if err != nil {
		return err
	}
	d := app.DiffDefinitions(before, after, from, to)
	title := fmt.Sprintf("%s: v%d → v%d", w.Name, from, to)
	return httpx.Render(c, http.StatusOK, views.DiffPage(views.NewDiffView(s.Frame(c, title, "workflows"), w, versions, d, before, after, s.app.ActionSpecs())))
}

// refusal is the message of an error a person can act on (a wrong name, a secret that exists), as
// opposed to a failure of the server.
func refusal(err error) (string, bool) {
	var verr *app.ValidationError
	var aerr *app.Error
	switch {
	case errors.As(err, &verr):
		msg := verr.Message
		for _, d := range verr.Details {
			msg += ": " + d.Message
		}
		return msg, true
	case errors.As(err, &aerr):
		return aerr.Message, true
	}
	return "", false
}
