package web

import (
	"net/http"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/static"
	"github.com/kitchenpantry/pantryflow/views"
)

// render writes a templ component as the response.
func render(c echo.Context, status int, comp templ.Component) error {
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().WriteHeader(status)
	return comp.Render(c.Request().Context(), c.Response())
}

func pageFrame(title string) views.Page {
	return views.Page{Title: title, CSS: static.URL("css/app.css")}
}

func (s *Server) home(c echo.Context) error {
	ready := s.Ready(c.Request().Context()) == nil
	return render(c, http.StatusOK, views.HomePage(views.Home{Page: pageFrame("Home"), Ready: ready}))
}

// staticFiles serves the embedded files; their URLs carry a checksum, so they may be cached for long.
func staticFiles() echo.HandlerFunc {
	files := http.StripPrefix("/static/", http.FileServer(http.FS(static.FS())))
	return func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		files.ServeHTTP(c.Response(), c.Request())
		return nil
	}
}
