package web

import (
	"math"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/auth"
)

// triggerRoutes are the routes of events, webhooks and schedules.
func (s *Server) triggerRoutes() []Route {
	rep, manager := auth.RoleRep, auth.RoleManager
	return []Route{
		{"api.events.post", http.MethodPost, "/api/events", manager, s.postEvent},
		{"api.workflows.webhook", http.MethodGet, "/api/workflows/:id/webhook", manager, s.getWebhook},
		{"api.workflows.webhook.rotate", http.MethodPost, "/api/workflows/:id/webhook/rotate", manager, s.rotateWebhook},
		{"api.workflows.schedule", http.MethodGet, "/api/workflows/:id/schedule", rep, s.getSchedule},
		{"hooks.receive", http.MethodPost, "/hooks/:token", "", s.receiveHook},
	}
}

func (s *Server) postEvent(c echo.Context) error {
	var req struct {
		Event string         `json:"event"`
		Data  map[string]any `json:"data"`
	}
	if err := bindJSON(c, &req, false); err != nil {
		return err
	}
	out, err := s.app.PostEvent(c.Request().Context(), principal(c), req.Event, req.Data)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, out)
}

func (s *Server) getWebhook(c echo.Context) error {
	info, err := s.app.Webhook(c.Request().Context(), principal(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, info)
}

func (s *Server) rotateWebhook(c echo.Context) error {
	info, err := s.app.RotateWebhook(c.Request().Context(), principal(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, info)
}

func (s *Server) getSchedule(c echo.Context) error {
	info, err := s.app.Schedule(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, info)
}

// receiveHook answers 202 with the execution id only after the run is committed.
func (s *Server) receiveHook(c echo.Context) error {
	token := c.Param("token")
	if ok, wait := s.hooks.allow(token, s.app.Clock.Now()); !ok {
		c.Response().Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
		return c.JSON(http.StatusTooManyRequests, ErrorBody{Error: "too many deliveries to this webhook; retry in a few seconds"})
	}
	body, err := readBody(c)
	if err != nil {
		return err
	}
	id, err := s.app.ReceiveWebhook(c.Request().Context(), app.WebhookRequest{
		Token: token, Signature: c.Request().Header.Get(app.WebhookSignatureHeader),
		DeliveryID: c.Request().Header.Get(app.WebhookDeliveryHeader), Body: body,
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]string{"executionId": id})
}
