package ui

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/views"
	"github.com/kitchenpantry/pantryflow/web/httpx"
)

// DemoRoutes are the demo a fresh install offers managers: its guide (a page, and the fragment the inbox's
// empty state shows), installing it and removing it.
func (s *Handlers) DemoRoutes() []httpx.Route {
	manager := auth.RoleManager
	return []httpx.Route{
		httpx.GET("demo", "/demo", manager, s.demoPage),
		httpx.GET("demo.panel", "/demo/panel", manager, s.demoPanel),
		httpx.POST("demo.install", "/demo", manager, s.installDemo),
		httpx.POST("demo.remove", "/demo/remove", manager, s.removeDemo),
	}
}

func (s *Handlers) demoView(c echo.Context, title, next string) (views.DemoView, error) {
	d, err := s.app.DemoStatus(c.Request().Context(), httpx.Principal(c))
	if err != nil {
		return views.DemoView{}, err
	}
	return views.DemoView{Page: s.Frame(c, title, "inbox"), Demo: d, Next: next}, nil
}

func (s *Handlers) demoPage(c echo.Context) error {
	v, err := s.demoView(c, "Getting started", "/demo")
	if err != nil {
		return err
	}
	return httpx.Render(c, http.StatusOK, views.DemoPage(v))
}

// demoPanel is the guide inside the inbox's empty state; its forms come back to the inbox.
func (s *Handlers) demoPanel(c echo.Context) error {
	v, err := s.demoView(c, "", "/inbox")
	if err != nil {
		return err
	}
	return httpx.Render(c, http.StatusOK, views.DemoPanel(v))
}

func (s *Handlers) installDemo(c echo.Context) error {
	done, err := s.app.InstallDemo(c.Request().Context(), httpx.Principal(c))
	if err != nil {
		return err
	}
	s.flash(c, done.Message())
	return c.Redirect(http.StatusSeeOther, demoNext(c))
}

func (s *Handlers) removeDemo(c echo.Context) error {
	done, err := s.app.RemoveDemo(c.Request().Context(), httpx.Principal(c))
	if err != nil {
		return err
	}
	s.flash(c, done.Message())
	return c.Redirect(http.StatusSeeOther, demoNext(c))
}

// demoNext is the page a demo form came from (this site's only), the guide by default.
func demoNext(c echo.Context) string {
	if next := localPath(c.FormValue("next")); next != "" {
		return next
	}
	return "/demo"
}
