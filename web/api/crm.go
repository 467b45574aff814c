package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/internal/crm"
	"github.com/kitchenpantry/pantryflow/web/httpx"
)

// crmCollections are the CRM's records and the API path of each.
var crmCollections = []struct {
	entity crm.Entity
	path   string
}{
	{crm.Lead, "leads"},
	{crm.Contact, "contacts"},
	{crm.Company, "companies"},
	{crm.Opportunity, "opportunities"},
	{crm.Task, "crm-tasks"},
}

// CRMRoutes are the CRM's JSON API routes: the same five for every kind of record. Records are camelCase
// JSON with references expanded one level and users shown as emails, the shape workflows see.
func (s *Handlers) CRMRoutes() []httpx.Route {
	rep, manager := auth.RoleRep, auth.RoleManager
	var routes []httpx.Route
	for _, c := range crmCollections {
		base, name := "/api/"+c.path, "api."+c.path
		routes = append(routes,
			httpx.POST(name+".create", base, rep, s.createRecord(c.entity)),
			httpx.GET(name+".list", base, rep, s.listRecords(c.entity)),
			httpx.GET(name+".get", base+"/:id", rep, s.getRecord(c.entity)),
			httpx.PATCH(name+".update", base+"/:id", rep, s.updateRecord(c.entity)),
			httpx.DELETE(name+".delete", base+"/:id", manager, s.deleteRecord(c.entity)),
		)
	}
	return append(routes,
		httpx.GET("api.crm-tasks.comments", "/api/crm-tasks/:id/comments", rep, s.todoComments),
		httpx.POST("api.crm-tasks.comment", "/api/crm-tasks/:id/comments", rep, s.commentOnTodo),
		httpx.GET("api.leads.journey", "/api/leads/:id/journey", rep, s.journey(crm.Lead)),
		httpx.GET("api.opportunities.journey", "/api/opportunities/:id/journey", rep, s.journey(crm.Opportunity)),
		httpx.POST("api.journey.undo", "/api/journey/:entry/undo", manager, s.undoJourneyEntry),
	)
}

// journey is a record's timeline: {"items": [entries newest first]}.
func (s *Handlers) journey(e crm.Entity) echo.HandlerFunc {
	return func(c echo.Context) error {
		items, err := s.app.Journey(c.Request().Context(), httpx.Principal(c), e, c.Param("id"))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, httpx.List[app.JourneyEntry]{Items: items, Total: int64(len(items))})
	}
}

// undoJourneyEntry undoes a workflow's change of a field (entry change:N); 409 with the reason when it
// cannot be.
func (s *Handlers) undoJourneyEntry(c echo.Context) error {
	e, err := s.app.UndoJourneyEntry(c.Request().Context(), httpx.Principal(c), c.Param("entry"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, e)
}

// todoComments lists a to-do's comments, oldest first: {"comments": [{id, author, body, createdAt}]}.
func (s *Handlers) todoComments(c echo.Context) error {
	list, err := s.app.TodoComments(c.Request().Context(), httpx.Principal(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"comments": list})
}

// commentOnTodo adds a comment {"body": "…"} to a to-do and answers it (201).
func (s *Handlers) commentOnTodo(c echo.Context) error {
	var req struct {
		Body string `json:"body"`
	}
	if err := httpx.BindJSON(c, &req, false); err != nil {
		return err
	}
	comment, err := s.app.CommentOnTodo(c.Request().Context(), httpx.Principal(c), c.Param("id"), req.Body)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, comment)
}

// readRecord reads a record's fields; the CRM rejects names it does not know, with every problem at once.
func readRecord(c echo.Context) (map[string]any, error) {
	var data map[string]any
	if err := httpx.BindJSON(c, &data, false); err != nil {
		return nil, err
	}
	if data == nil {
		data = map[string]any{}
	}
	return data, nil
}

func (s *Handlers) createRecord(e crm.Entity) echo.HandlerFunc {
	return func(c echo.Context) error {
		data, err := readRecord(c)
		if err != nil {
			return err
		}
		rec, err := s.app.CreateRecord(c.Request().Context(), httpx.Principal(c), e, data)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusCreated, rec)
	}
}

// listRecords takes ?limit, ?offset, ?q and any field filter (?status=, ?stage=, ?assignedTo=, ?companyId=).
func (s *Handlers) listRecords(e crm.Entity) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, err := httpx.Paging(c)
		if err != nil {
			return err
		}
		fields := map[string]string{}
		for name := range c.QueryParams() {
			if name != "limit" && name != "offset" && name != "q" {
				fields[name] = c.QueryParam(name)
			}
		}
		items, total, err := s.app.ListRecords(c.Request().Context(), httpx.Principal(c), e,
			app.RecordFilter{Fields: fields, Q: c.QueryParam("q"), Page: p})
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, httpx.List[crm.Record]{Items: items, Total: total})
	}
}

func (s *Handlers) getRecord(e crm.Entity) echo.HandlerFunc {
	return func(c echo.Context) error {
		rec, err := s.app.GetRecord(c.Request().Context(), httpx.Principal(c), e, c.Param("id"))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, rec)
	}
}

func (s *Handlers) updateRecord(e crm.Entity) echo.HandlerFunc {
	return func(c echo.Context) error {
		data, err := readRecord(c)
		if err != nil {
			return err
		}
		rec, err := s.app.UpdateRecord(c.Request().Context(), httpx.Principal(c), e, c.Param("id"), data)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, rec)
	}
}

func (s *Handlers) deleteRecord(e crm.Entity) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := s.app.DeleteRecord(c.Request().Context(), httpx.Principal(c), e, c.Param("id")); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	}
}
