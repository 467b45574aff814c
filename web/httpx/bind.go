package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/internal/app"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// ReadBody reads the whole body (BodyLimit has capped it).
func ReadBody(c echo.Context) ([]byte, error) {
	b, err := io.ReadAll(c.Request().Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		var herr *echo.HTTPError
		if errors.As(err, &tooBig) || errors.As(err, &herr) && herr.Code == http.StatusRequestEntityTooLarge {
			return nil, echo.NewHTTPError(http.StatusRequestEntityTooLarge)
		}
		return nil, fmt.Errorf("read request body: %w", err)
	}
	return b, nil
}

// BindJSON decodes a JSON body into v, rejecting unknown fields, and reports mistakes with their position.
// An empty body is allowed when optional is true.
func BindJSON(c echo.Context, v any, optional bool) error {
	body, err := ReadBody(c)
	if err != nil {
		return err
	}
	if optional && len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return workflow.DecodeJSONError(body, dec.InputOffset(), err)
	}
	if dec.More() {
		return &workflow.DecodeError{Message: "unexpected data after the JSON object"}
	}
	return nil
}

// BadQuery is the problem of a query parameter that cannot be read.
func BadQuery(name, msg string) error {
	return &app.ValidationError{Message: "the query parameter " + name + " is wrong", Details: []app.Detail{{Path: name, Message: msg}}}
}

// Paging reads ?limit= and ?offset=.
func Paging(c echo.Context) (app.Page, error) {
	var p app.Page
	if s := c.QueryParam("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			return p, BadQuery("limit", "limit must be a whole number from 1 to 1000")
		}
		p.Limit = n
	}
	if s := c.QueryParam("offset"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return p, BadQuery("offset", "offset must be a whole number, 0 or more")
		}
		p.Offset = n
	}
	return p, nil
}

// TimeParam reads an RFC 3339 time or a date.
func TimeParam(c echo.Context, name string) (time.Time, error) {
	s := c.QueryParam(name)
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339, time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, BadQuery(name, name+" must be a date like 2026-11-26 or 2026-11-26T09:00:00Z")
}

// List is the shape of every list answer.
type List[T any] struct {
	Items []T   `json:"items"`
	Total int64 `json:"total"`
}
