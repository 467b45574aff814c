package httpx

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/kitchenpantry/pantryflow/internal/app"
)

// maxParamLength bounds every parameter of an address (an id, a token, a file path). The ids Pantryflow
// makes are far shorter; a longer one names nothing, so it is answered at once, without a database query.
const maxParamLength = 200

// nulDetail is what a field with a NUL character is told.
const nulDetail = `contains an invisible NUL character (\u0000); remove it`

// CheckInput refuses, before the handler runs, what no handler can store: a NUL character (U+0000) in an
// address parameter, a query parameter, a form field or anywhere in a JSON body (keys too), and address
// parameters longer than any id. PostgreSQL cannot keep a NUL in text (SQLite can), so without this the same
// request was a 500 on one database and stored on the other; now both answer 422 naming the field.
func CheckInput(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := inputProblem(c); err != nil {
			return err
		}
		return next(c)
	}
}

func inputProblem(c echo.Context) error {
	for i, name := range c.ParamNames() {
		v := c.ParamValues()[i]
		if strings.ContainsRune(v, 0) {
			return nulError(c, fmt.Sprintf("the %s in the address", name), name)
		}
		if len(v) > maxParamLength {
			return &app.Error{Kind: app.ErrNotFound, Message: fmt.Sprintf(
				"there is nothing at this address: its %s is %d characters long, and no id has more than %d", name, len(v), maxParamLength)}
		}
	}
	r := c.Request()
	if name, ok := firstNUL(r.URL.Query()); ok {
		return nulError(c, "the query parameter “"+name+"”", name)
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead || r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	// Pages take forms. The API reads every body as JSON, whatever its Content-Type says (curl -d sends
	// JSON as a url-encoded form), so its bodies are never parsed as forms here.
	if IsPagePath(r.URL.Path) && IsFormBody(r) {
		_ = r.ParseMultipartForm(32 << 20) // reads a url-encoded body too; a malformed one is the handler's to report
		if name, ok := firstNUL(r.PostForm); ok {
			return nulError(c, "the field “"+name+"”", name)
		}
		return nil
	}
	body, err := ReadBody(c)
	if err != nil {
		return err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if path, ok := jsonNULPath(body); ok {
		return nulError(c, "the field “"+path+"”", path)
	}
	return nil
}

// IsFormBody reports whether the body is a url-encoded or multipart form.
func IsFormBody(r *http.Request) bool {
	ct := r.Header.Get(echo.HeaderContentType)
	return strings.HasPrefix(ct, echo.MIMEApplicationForm) || strings.HasPrefix(ct, echo.MIMEMultipartForm)
}

// nulError names where the NUL is: pages show the sentence, the API also gives the field's path.
func nulError(c echo.Context, where, path string) error {
	msg := where + " contains an invisible NUL character (\\u0000), which Pantryflow cannot store; remove it and try again"
	if IsPagePath(c.Request().URL.Path) && !WantsJSON(c.Request()) {
		return &app.ValidationError{Message: msg}
	}
	return &app.ValidationError{Message: msg, Details: []app.Detail{{Path: path, Message: nulDetail}}}
}

// firstNUL finds, in name order, the first parameter whose name or a value holds a NUL; a name is shown with
// the NUL written as \u0000.
func firstNUL(values map[string][]string) (string, bool) {
	names := make([]string, 0, len(values))
	for k := range values {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		if strings.ContainsRune(k, 0) || slices.ContainsFunc(values[k], func(v string) bool { return strings.ContainsRune(v, 0) }) {
			return showNUL(k), true
		}
	}
	return "", false
}

func showNUL(s string) string { return strings.ReplaceAll(s, "\x00", `\u0000`) }

// jsonNULPath returns the path (steps[1].name, data.company.name) of the first string in the JSON body, in
// document order, that holds a NUL — a value or an object's key. A body that is not JSON is left to the
// handler to report.
func jsonNULPath(body []byte) (string, bool) {
	// A NUL can only be written \u0000 in JSON (a raw one makes it invalid): most bodies are passed at once.
	if !bytes.Contains(body, []byte(`\u0000`)) {
		return "", false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var stack []jsonFrame
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false // the end, or not JSON
		}
		top := len(stack) - 1
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				if top >= 0 {
					stack[top].startValue()
				}
				stack = append(stack, jsonFrame{array: d == '[', index: -1, wantKey: d == '{'})
			default:
				stack = stack[:top]
				if top > 0 {
					stack[top-1].endValue()
				}
			}
			continue
		}
		s, isString := tok.(string)
		if top >= 0 && stack[top].wantKey {
			stack[top].key, stack[top].wantKey = s, false
			if strings.ContainsRune(s, 0) {
				return jsonPath(stack), true
			}
			continue
		}
		if top >= 0 {
			stack[top].startValue()
		}
		if isString && strings.ContainsRune(s, 0) {
			return jsonPath(stack), true
		}
		if top >= 0 {
			stack[top].endValue()
		}
	}
}

// jsonFrame is an object or array being read: where in it the reader is.
type jsonFrame struct {
	array   bool
	index   int    // the element being read, in an array
	key     string // the member being read, in an object
	wantKey bool   // an object's next string is a key
}

func (f *jsonFrame) startValue() {
	if f.array {
		f.index++
	}
}

func (f *jsonFrame) endValue() {
	if !f.array {
		f.wantKey = true
	}
}

func jsonPath(stack []jsonFrame) string {
	var b strings.Builder
	for _, f := range stack {
		switch {
		case f.array:
			b.WriteString("[" + strconv.Itoa(f.index) + "]")
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(showNUL(f.key))
		}
	}
	if b.Len() == 0 {
		return "body"
	}
	return b.String()
}
