package ui

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/internal/crm"
	"github.com/kitchenpantry/pantryflow/internal/words"
	"github.com/kitchenpantry/pantryflow/views"
	"github.com/kitchenpantry/pantryflow/web/httpx"
)

// crmPage is a kind of CRM record that has pages: its list, its form and its page.
type crmPage struct {
	entity crm.Entity
	path   string // under /crm/
	title  string // the list's title
	noun   string // one record, in a sentence's first word
	status string // the field that is its status: status, stage
}

var crmPages = []crmPage{
	{crm.Lead, "leads", "Leads", "Lead", "status"},
	{crm.Opportunity, "opportunities", "Opportunities", "Opportunity", "stage"},
}

// CRMRoutes are the CRM's pages — leads and opportunities: list, new, page, save and the panel of runs
// their changes started — and the outbox's page, where the mails the CRM's workflows send can be seen.
func (s *Handlers) CRMRoutes() []httpx.Route {
	rep, manager := auth.RoleRep, auth.RoleManager
	var routes []httpx.Route
	for _, p := range crmPages {
		base, name := "/crm/"+p.path, "crm."+p.path
		routes = append(routes,
			httpx.GET(name, base, rep, s.recordsPage(p)),
			httpx.GET(name+".new", base+"/new", rep, s.newRecordPage(p)),
			httpx.POST(name+".create", base, rep, s.createRecordForm(p)),
			httpx.GET(name+".page", base+"/:id", rep, s.recordPage(p)),
			httpx.POST(name+".update", base+"/:id", rep, s.updateRecordForm(p)),
			httpx.GET(name+".runs", base+"/:id/runs", rep, s.recordRuns(p)),
		)
	}
	return append(routes,
		httpx.GET("crm.todos.page", "/crm/todos/:id", rep, s.todoPage),
		httpx.POST("crm.todos.done", "/crm/todos/:id/done", rep, s.todoDone),
		httpx.POST("crm.todos.reassign", "/crm/todos/:id/reassign", rep, s.reassignTodo),
		httpx.POST("crm.todos.comment", "/crm/todos/:id/comments", rep, s.commentOnTodo),
		httpx.GET("mail", "/mail", manager, s.mailPage),
		httpx.POST("mail.resend", "/mail/:id/resend", manager, s.resendMail),
		httpx.GET("mail.templates", "/mail/templates", manager, s.mailTemplatesPage),
		httpx.GET("mail.templates.new", "/mail/templates/new", manager, s.newMailTemplatePage),
		httpx.POST("mail.templates.create", "/mail/templates", manager, s.createMailTemplateForm),
		httpx.GET("mail.templates.page", "/mail/templates/:name", manager, s.mailTemplatePage),
		httpx.POST("mail.templates.update", "/mail/templates/:name", manager, s.updateMailTemplateForm),
		httpx.POST("mail.templates.preview", "/mail/templates/:name/preview", manager, s.previewMailTemplateForm),
		httpx.POST("mail.templates.restore", "/mail/templates/:name/restore/:version", manager, s.restoreMailTemplateForm),
		httpx.POST("mail.templates.delete", "/mail/templates/:name/delete", manager, s.deleteMailTemplateForm),
	)
}

// recordsPage lists records; ?status= (?stage=), ?assignedTo= (me, none or an email) and ?q= narrow it.
func (s *Handlers) recordsPage(p crmPage) echo.HandlerFunc {
	return func(c echo.Context) error {
		win, err := httpx.Paging(c)
		if err != nil {
			return err
		}
		ctx, actor := c.Request().Context(), httpx.Principal(c)
		v := views.RecordsView{Page: s.Frame(c, p.title, p.path), Entity: p.entity, Status: c.QueryParam(p.status),
			AssignedTo: c.QueryParam("assignedTo"), Q: c.QueryParam("q"), Window: win.Normalize(), Query: url.Values{}}
		v.Items, v.Total, err = s.app.ListRecords(ctx, actor, p.entity, app.RecordFilter{Q: v.Q, Page: v.Window,
			Fields: map[string]string{p.status: v.Status, "assignedTo": v.AssignedTo}})
		if err != nil {
			return err
		}
		choices, err := s.app.FormChoices(ctx, actor, p.entity)
		if err != nil {
			return err
		}
		v.People = choices.People
		for _, k := range []string{p.status, "assignedTo", "q", "limit"} {
			if val := c.QueryParam(k); val != "" {
				v.Query.Set(k, val)
			}
		}
		return httpx.Render(c, http.StatusOK, views.RecordsPage(v))
	}
}

func (s *Handlers) newRecordPage(p crmPage) echo.HandlerFunc {
	return func(c echo.Context) error {
		choices, err := s.app.FormChoices(c.Request().Context(), httpx.Principal(c), p.entity)
		if err != nil {
			return err
		}
		// New records are the creator's, in dollars, at the first stage, unless they say otherwise.
		values := map[string]string{"assignedTo": httpx.Principal(c).Email, "currency": "USD"}
		return s.renderNewRecord(c, p, http.StatusOK, values, nil, choices)
	}
}

func (s *Handlers) renderNewRecord(c echo.Context, p crmPage, status int, values, errs map[string]string, ch *app.FormChoices) error {
	frame := s.Frame(c, "New "+string(p.entity), p.path)
	return httpx.Render(c, status, views.NewRecordPage(views.RecordFormView{Page: frame, Entity: p.entity,
		Form: views.NewRecordForm(p.entity, "", frame.CSRF, values, errs, ch)}))
}

// createRecordForm creates a record from its form; problems come back next to their fields, with what was
// typed kept.
func (s *Handlers) createRecordForm(p crmPage) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx, actor := c.Request().Context(), httpx.Principal(c)
		raw, err := formValues(c)
		if err != nil {
			return err
		}
		data := map[string]any{}
		for _, name := range views.RecordFieldNames(p.entity, false) {
			// Empty fields take the CRM's defaults, except the owner: "Nobody" is a choice.
			if v := raw[name]; name != views.NewCompanyField && (v != "" || name == "assignedTo") {
				data[name] = v
			}
		}
		rec, err := s.app.SaveRecord(ctx, actor, p.entity, "", data, raw[views.NewCompanyField])
		if errs, ok := recordProblems(err); ok {
			choices, err := s.app.FormChoices(ctx, actor, p.entity)
			if err != nil {
				return err
			}
			return s.renderNewRecord(c, p, http.StatusUnprocessableEntity, raw, errs, choices)
		}
		if err != nil {
			return err
		}
		s.flash(c, p.noun+" created.")
		id, _ := rec["id"].(string)
		return c.Redirect(http.StatusSeeOther, "/crm/"+p.path+"/"+id)
	}
}

// recordProblems are a validation error's messages by field; ok is false for any other error.
func recordProblems(err error) (map[string]string, bool) {
	var verr *app.ValidationError
	if !errors.As(err, &verr) {
		return nil, false
	}
	errs := map[string]string{}
	for _, d := range verr.Details {
		if _, seen := errs[d.Path]; !seen {
			errs[d.Path] = asSentence(d.Message)
		}
	}
	return errs, true
}

// asSentence starts a message with a capital and ends it with a full stop, as the form shows it.
func asSentence(msg string) string { return words.Sentence(msg) }

func (s *Handlers) recordPage(p crmPage) echo.HandlerFunc {
	return func(c echo.Context) error {
		data, err := s.app.RecordPage(c.Request().Context(), httpx.Principal(c), p.entity, c.Param("id"))
		if err != nil {
			return err
		}
		return s.renderRecord(c, p, http.StatusOK, data, views.RecordValues(data.Record), nil)
	}
}

func (s *Handlers) renderRecord(c echo.Context, p crmPage, status int, data *app.RecordPage, values, errs map[string]string) error {
	id, _ := data.Record["id"].(string)
	frame := s.Frame(c, recordTitle(data.Record), p.path)
	now := s.app.Clock.Now()
	return httpx.Render(c, status, views.RecordPage(views.RecordView{Page: frame, Entity: p.entity, ID: id,
		Record: data.Record, Todos: data.Todos, People: data.Choices.People, Now: now,
		Form:    views.NewRecordForm(p.entity, id, frame.CSRF, values, errs, data.Choices),
		Runs:    views.RunsPanel{Entity: p.entity, ID: id, Activity: data.Activity, Now: now},
		Journey: data.Journey, CanUndo: httpx.Principal(c).Role.AtLeast(auth.RoleManager)}))
}

func recordTitle(rec crm.Record) string {
	if name, _ := rec["name"].(string); name != "" {
		return name
	}
	first, _ := rec["firstName"].(string)
	last, _ := rec["lastName"].(string)
	return strings.TrimSpace(first + " " + last)
}

// updateRecordForm saves the fields the form changed (only those: a field someone else changed meanwhile
// and this form left alone keeps their value), then shows the page again, where the runs a status change
// started appear.
func (s *Handlers) updateRecordForm(p crmPage) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx, actor, id := c.Request().Context(), httpx.Principal(c), c.Param("id")
		current, err := s.app.GetRecord(ctx, actor, p.entity, id)
		if err != nil {
			return err
		}
		raw, err := formValues(c)
		if err != nil {
			return err
		}
		was := views.RecordValues(current)
		data := map[string]any{}
		for _, name := range views.RecordFieldNames(p.entity, true) {
			if v, given := raw[name]; given && name != views.NewCompanyField && !sameInput(v, was[name]) {
				data[name] = v
			}
		}
		newCompany := raw[views.NewCompanyField]
		if len(data) == 0 && strings.TrimSpace(newCompany) == "" {
			s.flash(c, "Nothing to save: no field was changed.")
			return c.Redirect(http.StatusSeeOther, "/crm/"+p.path+"/"+id)
		}
		rec, err := s.app.SaveRecord(ctx, actor, p.entity, id, data, newCompany)
		if errs, ok := recordProblems(err); ok {
			page, err := s.app.RecordPage(ctx, actor, p.entity, id)
			if err != nil {
				return err
			}
			return s.renderRecord(c, p, http.StatusUnprocessableEntity, page, raw, errs)
		}
		if err != nil {
			return err
		}
		status, _ := rec[p.status].(string)
		s.flash(c, views.RecordFlash(p.entity, status, status != was[p.status]))
		return c.Redirect(http.StatusSeeOther, "/crm/"+p.path+"/"+id)
	}
}

// sameInput reports whether a submitted value is what the form showed: equal text, or the same moment to
// the second (a browser may drop ":00" seconds from a time).
func sameInput(submitted, shown string) bool {
	submitted = strings.TrimSpace(submitted)
	if submitted == shown {
		return true
	}
	a, aerr := parseInputTime(submitted)
	b, berr := parseInputTime(shown)
	return aerr == nil && berr == nil && a.Truncate(time.Second).Equal(b.Truncate(time.Second))
}

func parseInputTime(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("not a time")
}

// recordRuns is the panel of runs a record's changes started, fetched again by htmx while it is live.
func (s *Handlers) recordRuns(p crmPage) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Param("id")
		activity, err := s.app.RecordActivity(c.Request().Context(), httpx.Principal(c), p.entity, id)
		if err != nil {
			return err
		}
		return httpx.Render(c, http.StatusOK, views.RecordRuns(views.RunsPanel{Entity: p.entity, ID: id, Activity: activity,
			Now: s.app.Clock.Now()}))
	}
}

// todoDone marks a CRM to-do done (a rep their own, managers any) and goes back to the page it was on.
func (s *Handlers) todoDone(c echo.Context) error {
	ctx, actor, id := c.Request().Context(), httpx.Principal(c), c.Param("id")
	rec, err := s.app.UpdateRecord(ctx, actor, crm.Task, id, map[string]any{"status": "done"})
	if err != nil {
		return err
	}
	title, _ := rec["title"].(string)
	s.flash(c, "Marked “"+title+"” done.")
	back := c.FormValue("back")
	if !strings.HasPrefix(back, "/") || strings.HasPrefix(back, "//") || strings.Contains(back, "\\") {
		back = "/inbox"
	}
	return c.Redirect(http.StatusSeeOther, back)
}

// todoPage shows a CRM to-do with its comments.
func (s *Handlers) todoPage(c echo.Context) error { return s.renderTodo(c, http.StatusOK, "", "") }

func (s *Handlers) renderTodo(c echo.Context, status int, comment, problem string) error {
	page, err := s.app.Todo(c.Request().Context(), httpx.Principal(c), c.Param("id"))
	if err != nil {
		return err
	}
	title, _ := page.Todo["title"].(string)
	return httpx.Render(c, status, views.TodoPage(views.TodoView{Page: s.Frame(c, title, "inbox"), Todo: page, Now: s.app.Clock.Now(),
		Comment: comment, CommentError: problem}))
}

// reassignTodo gives a to-do to someone else. A rep who gives away their own to-do can no longer see it:
// they go back to the inbox, told whom it went to.
func (s *Handlers) reassignTodo(c echo.Context) error {
	ctx, actor, id := c.Request().Context(), httpx.Principal(c), c.Param("id")
	rec, err := s.app.ReassignTodo(ctx, actor, id, c.FormValue("assignee"))
	if err != nil {
		return err
	}
	title, _ := rec["title"].(string)
	to, _ := rec["assignedTo"].(string)
	s.flash(c, "Gave “"+title+"” to "+to+".")
	if _, err := s.app.GetRecord(ctx, actor, crm.Task, id); err != nil {
		return c.Redirect(http.StatusSeeOther, "/inbox")
	}
	return c.Redirect(http.StatusSeeOther, "/crm/todos/"+id)
}

// commentOnTodo adds a comment; an empty or too long one comes back on the page with its problem, the text
// kept.
func (s *Handlers) commentOnTodo(c echo.Context) error {
	ctx, actor, id := c.Request().Context(), httpx.Principal(c), c.Param("id")
	body := c.FormValue("body")
	_, err := s.app.CommentOnTodo(ctx, actor, id, body)
	var verr *app.ValidationError
	if errors.As(err, &verr) && len(verr.Details) > 0 {
		return s.renderTodo(c, http.StatusUnprocessableEntity, body, verr.Details[0].Message)
	}
	if err != nil {
		return err
	}
	s.flash(c, "Comment added.")
	return c.Redirect(http.StatusSeeOther, "/crm/todos/"+id+"#todo-comments")
}

// undoJourneyEntry undoes a workflow's change of a field from the record's journey, and shows the record
// again with what happened; a refused undo says why there.
func (s *Handlers) undoJourneyEntry(c echo.Context) error {
	back := c.FormValue("back")
	if !strings.HasPrefix(back, "/crm/") || strings.Contains(back, "//") {
		back = "/crm/leads"
	}
	e, err := s.app.UndoJourneyEntry(c.Request().Context(), httpx.Principal(c), c.Param("entry"))
	var aerr *app.Error
	switch {
	case errors.As(err, &aerr) && errors.Is(aerr.Kind, app.ErrConflict):
		s.flash(c, "Not undone: "+aerr.Message+".")
	case err != nil:
		return err
	default:
		s.flash(c, fmt.Sprintf("Undone: %s is %s again.", e.Field, views.JourneyValue(e.Before)))
	}
	return c.Redirect(http.StatusSeeOther, back+"#record-journey")
}
