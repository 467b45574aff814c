package api

import (
	"math"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/web/httpx"
)

// TriggerRoutes are the routes of events, webhooks and schedules.
func (s *Handlers) TriggerRoutes() []httpx.Route {
	rep, manager := auth.RoleRep, auth.RoleManager
	return []httpx.Route{
		httpx.POST("api.events.post", "/api/events", manager, s.postEvent),
		httpx.GET("api.workflows.webhook", "/api/workflows/:id/webhook", manager, s.getWebhook),
		httpx.POST("api.workflows.webhook.rotate", "/api/workflows/:id/webhook/rotate", manager, s.rotateWebhook),
		httpx.GET("api.workflows.schedule", "/api/workflows/:id/schedule", rep, s.getSchedule),
		httpx.POST("hooks.receive", "/hooks/:token", "", s.receiveHook),
	}
}

func (s *Handlers) postEvent(c echo.Context) error {
	var req struct {
		Event string         `json:"event"`
		Data  map[string]any `json:"data"`
	}
	if err := httpx.BindJSON(c, &req, false); err != nil {
		return err
	}
	out, err := s.app.PostEvent(c.Request().Context(), httpx.Principal(c), req.Event, req.Data)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, out)
}

func (s *Handlers) getWebhook(c echo.Context) error {
	info, err := s.app.Webhook(c.Request().Context(), httpx.Principal(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, info)
}

func (s *Handlers) rotateWebhook(c echo.Context) error {
	info, err := s.app.RotateWebhook(c.Request().Context(), httpx.Principal(c), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, info)
}

func (s *Handlers) getSchedule(c echo.Context) error {
	info, err := s.app.Schedule(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, info)
}

// receiveHook answers 202 with the execution id only after the run is committed.
func (s *Handlers) receiveHook(c echo.Context) error {
	token := c.Param("token")
	if ok, wait := s.hooks.allow(token, s.app.Clock.Now()); !ok {
		c.Response().Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
		return c.JSON(http.StatusTooManyRequests, httpx.ErrorBody{Error: "too many deliveries to this webhook; retry in a few seconds"})
	}
	body, err := httpx.ReadBody(c)
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
