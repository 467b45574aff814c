package actions

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kitchenpantry/pantryflow/internal/netguard"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// CallAPI sends an HTTP request to another system through the SSRF-guarded client (Deps.HTTP) and keeps the
// answer as the step's output. The request carries the step activation's idempotency key, so an API that
// honours Idempotency-Key sees a retried step as the same request.
type CallAPI struct{ deps Deps }

var apiMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

const (
	apiDefaultTimeout = 10 * time.Second
	apiMaxTimeout     = 60 // seconds
	apiMaxBody        = 1 << 20
	apiExcerpt        = 200 // characters of an error answer quoted in the message
)

// apiReservedHeaders are set by Pantryflow or by HTTP itself; a workflow setting them would be ignored or
// would break the request.
var apiReservedHeaders = []string{"Idempotency-Key", "Host", "Content-Length", "Transfer-Encoding", "Connection"}

// apiOutputHeaders are the answer's headers kept in the output.
var apiOutputHeaders = []string{"Content-Type", "Location", "Etag", "Retry-After"}

// Spec implements Action.
func (CallAPI) Spec() workflow.ActionSpec {
	return workflow.ActionSpec{
		Outputs: []string{"status", "headers", "body"},
		Name:    "call_api", Title: "Call an API",
		Description: "Sends an HTTP request to another system and keeps its answer (status, body) for the next steps.",
		Params: []workflow.ParamSpec{
			{Name: "method", Kind: workflow.ParamEnum, Options: apiMethods, Description: "GET (the default), POST, PUT, PATCH or DELETE"},
			{Name: "url", Kind: workflow.ParamText, Required: true, Secrets: true, Description: "the address, for example https://api.example.com/leads/{{lead.id}}"},
			{Name: "headers", Kind: workflow.ParamObject, Secrets: true, Description: "header names and text values, for example Authorization: Bearer {{ secrets.CRM_API_KEY }}"},
			{Name: "body", Kind: workflow.ParamAny, Secrets: true, Description: "a value sent as JSON, for example {\"email\": \"{{lead.email}}\"}"},
			{Name: "timeout", Kind: workflow.ParamNumber, Description: "seconds to wait for the answer: 10 by default, at most 60"},
			{Name: "expectedStatus", Kind: workflow.ParamAny, Description: "the status codes that mean success, for example [200, 201]; any 2xx by default"},
		},
		Check:  checkCallAPI,
		Warn:   warnCallAPI,
		Redact: redactCallAPI,
	}
}

// checkCallAPI looks at literal values when the workflow is saved; templated ones are checked when the step runs.
// The method needs nothing here: its enum kind is checked for every action.
func checkCallAPI(params map[string]any, _ workflow.CheckEnv) []workflow.Problem {
	var ps []workflow.Problem
	add := func(path, format string, args ...any) {
		ps = append(ps, workflow.Problem{Path: path, Message: fmt.Sprintf(format, args...)})
	}
	p := workflow.DecodeCallAPIParams(params)
	if s := p.URL; s != "" {
		if i := strings.Index(s, "{{"); i < 0 {
			if _, err := netguard.ParseURL(strings.TrimSpace(s)); err != nil {
				add("url", "%v", err)
			}
		} else if scheme, _, found := strings.Cut(s[:i], "://"); found && !slices.Contains([]string{"http", "https"}, strings.ToLower(scheme)) {
			add("url", "the URL %q uses %s; Pantryflow calls only http and https URLs", s, scheme)
		}
	}
	if p.Has("timeout") && !apiTemplated(p.Timeout) {
		if _, err := apiTimeout(p.Timeout); err != nil {
			add("timeout", "%v", err)
		}
	}
	if p.Has("expectedStatus") && !apiTemplated(p.ExpectedStatus) {
		if _, err := apiExpected(p.ExpectedStatus); err != nil {
			add("expectedStatus", "%v", err)
		}
	}
	for _, name := range apiKeys(p.Headers) {
		if err := apiCheckHeader(name, p.Headers[name]); err != nil {
			add("headers."+name, "%v", err)
		}
	}
	return ps
}

// apiTemplated reports whether v, or an item of it, is a template, known only when the step runs.
func apiTemplated(v any) bool {
	switch t := v.(type) {
	case string:
		return strings.Contains(t, "{{")
	case []any:
		return slices.ContainsFunc(t, apiTemplated)
	}
	return false
}

// Run implements Action.
func (a CallAPI) Run(ctx context.Context, in Input) (Result, error) {
	if a.deps.HTTP == nil {
		return Result{}, workflow.Permanent(workflow.ClassOther, errors.New("call_api: this Pantryflow server is not set up for outgoing calls (it has no HTTP client); ask your administrator"))
	}
	call, err := newAPICall(in.Params)
	if err != nil {
		return Result{}, workflow.Permanent(workflow.ClassValidation, fmt.Errorf("call_api: %w", err))
	}
	stopped := ctx
	ctx, cancel := context.WithTimeout(ctx, call.timeout)
	defer cancel()
	req, err := call.request(ctx, in.IdempotencyKey)
	if err != nil {
		return Result{}, workflow.Permanent(workflow.ClassValidation, fmt.Errorf("call_api: %w", err))
	}
	if in.Test {
		// What the step would send, with its credentials masked: a test run's record is read by people
		// who must not see them (secrets are masked by the engine too, wherever they appear).
		headers := map[string]any{}
		for name := range call.headers {
			headers[name] = call.headers.Get(name)
			if IsCredentialName(name) {
				headers[name] = Masked
			}
		}
		would := map[string]any{"method": call.method, "url": redactURL(call.url.String()), "headers": headers}
		if call.body != nil {
			would["body"] = string(call.body)
		}
		return recorded(Result{Message: fmt.Sprintf("%s %s", call.method, call.url.Redacted())}, map[string]any{"request": would}), nil
	}
	resp, err := a.deps.HTTP.Do(req)
	if err != nil && stopped.Err() != nil {
		// The step or its run was stopped, not the call's own timeout: say so, keeping the reason.
		return Result{}, fmt.Errorf("call_api: %s was stopped before it answered: %w", call, context.Cause(stopped))
	}
	if err != nil {
		return Result{}, call.transportError(err)
	}
	defer resp.Body.Close()
	body, tooLarge, err := readAPIBody(resp)
	if err != nil {
		return Result{}, call.transportError(err)
	}
	if !call.expects(resp.StatusCode) {
		return Result{}, call.statusError(resp.StatusCode, body)
	}
	if tooLarge {
		return Result{}, workflow.Permanent(workflow.ClassOther, fmt.Errorf(
			"call_api: %s answered with more than 1 MiB; Pantryflow keeps at most 1 MiB of an answer — ask the API for less (a filter or a page)", call))
	}
	headers := map[string]any{}
	for _, h := range apiOutputHeaders {
		if v := resp.Header.Get(h); v != "" {
			headers[strings.ToLower(h)] = v
		}
	}
	return Result{
		Output: map[string]any{
			// JSON's number type, as the output reads back from the database.
			"status": float64(resp.StatusCode), "headers": headers, "body": decodeAPIBody(resp.Header.Get("Content-Type"), body),
		},
		Message: fmt.Sprintf("%s answered %d", call, resp.StatusCode),
	}, nil
}

// apiCall is a call_api step's parameters, checked.
type apiCall struct {
	method   string
	url      *url.URL
	headers  http.Header
	body     []byte // nil: no body
	timeout  time.Duration
	expected []int // nil: any 2xx
}

func newAPICall(params map[string]any) (apiCall, error) {
	p := workflow.DecodeCallAPIParams(params)
	c := apiCall{method: strings.ToUpper(apiText(p, "method", p.Method)), headers: http.Header{}}
	if c.method == "" {
		c.method = http.MethodGet
	}
	if !slices.Contains(apiMethods, c.method) {
		return c, fmt.Errorf("method %q is not GET, POST, PUT, PATCH or DELETE", c.method)
	}
	raw := apiText(p, "url", p.URL)
	if raw == "" {
		return c, errors.New("url is empty (the variable it comes from has no value)")
	}
	u, err := netguard.ParseURL(raw)
	if err != nil {
		return c, err
	}
	c.url = u
	if h, bad := p.Misfit("headers"); bad {
		return c, fmt.Errorf("headers must be an object of names and values, not %s", apiKind(h))
	}
	for _, name := range apiKeys(p.Headers) {
		if err := apiCheckHeader(name, p.Headers[name]); err != nil {
			return c, err
		}
		if v := text(p.Headers, name); v != "" {
			c.headers.Set(name, v)
		}
	}
	if v := p.Body; v != nil && v != "" {
		if c.body, err = json.Marshal(v); err != nil {
			return c, fmt.Errorf("body cannot be sent as JSON: %w", err)
		}
	}
	if c.timeout, err = apiTimeout(p.Timeout); err != nil {
		return c, err
	}
	if c.expected, err = apiExpected(p.ExpectedStatus); err != nil {
		return c, err
	}
	return c, nil
}

// apiText is a rendered text parameter as the action reads it: trimmed, and a template that gave a number or
// true/false as its text.
func apiText(p *workflow.CallAPIParams, key, v string) string {
	if raw, bad := p.Misfit(key); bad {
		return text(map[string]any{key: raw}, key)
	}
	return strings.TrimSpace(v)
}

func (c apiCall) request(ctx context.Context, idempotencyKey string) (*http.Request, error) {
	var body io.Reader
	if c.body != nil {
		body = bytes.NewReader(c.body) // a bytes.Reader lets a 307/308 redirect send the body again
	}
	req, err := http.NewRequestWithContext(ctx, c.method, c.url.String(), body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c, err)
	}
	req.Header = c.headers.Clone()
	if c.body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "Pantryflow")
	}
	if idempotencyKey != "" {
		req.Header.Set("Idempotency-Key", idempotencyKey)
	}
	return req, nil
}

// String names the request for messages. The query is left out: it often carries an API key, and messages
// go to the execution log.
func (c apiCall) String() string { return c.method + " " + apiDisplayURL(c.url) }

func apiDisplayURL(u *url.URL) string {
	v := *u
	v.User, v.Fragment, v.RawFragment = nil, "", ""
	if v.RawQuery != "" || v.ForceQuery {
		v.RawQuery, v.ForceQuery = "", false
		return v.String() + "?…"
	}
	return v.String()
}

func (c apiCall) expects(status int) bool {
	if c.expected == nil {
		return status >= 200 && status <= 299
	}
	return slices.Contains(c.expected, status)
}

// transportError classifies a request that got no (complete) answer.
func (c apiCall) transportError(err error) error {
	var (
		blocked *netguard.BlockedError
		badURL  *netguard.URLError
		certErr *tls.CertificateVerificationError
		netErr  net.Error
	)
	where := c.String()
	var uerr *url.Error
	if errors.As(err, &uerr) && uerr.URL != c.url.String() {
		if hop, perr := url.Parse(uerr.URL); perr == nil {
			where = fmt.Sprintf("%s redirected to %s", c, apiDisplayURL(hop))
		}
	}
	switch {
	case errors.As(err, &blocked):
		return workflow.Permanent(workflow.ClassValidation, fmt.Errorf("call_api: %s%w", c.redirectNote(where), blocked))
	case errors.As(err, &badURL):
		return workflow.Permanent(workflow.ClassValidation, fmt.Errorf("call_api: %s%w", c.redirectNote(where), badURL))
	case errors.Is(err, netguard.ErrTooManyRedirects):
		return workflow.Permanent(workflow.ClassValidation, fmt.Errorf("call_api: %s redirected more than %d times; Pantryflow stops there", c, netguard.MaxRedirects))
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()):
		return workflow.Transient(workflow.ClassTimeout, fmt.Errorf("call_api: %s did not answer within %s", where, c.timeout))
	case errors.Is(err, context.Canceled):
		return workflow.Transient(workflow.ClassOther, fmt.Errorf("call_api: %s: %w", where, context.Canceled))
	case errors.As(err, &certErr):
		// A certificate does not fix itself between retries.
		return workflow.Permanent(workflow.ClassNetwork, fmt.Errorf("call_api: %s: the server's certificate is not valid: %v", where, certErr.Err))
	}
	if uerr != nil {
		err = uerr.Err // the URL is already in where
	}
	return workflow.Transient(workflow.ClassNetwork, fmt.Errorf("call_api: %s could not be reached: %v", where, err))
}

// redirectNote introduces a refusal met after a redirect, which the refusal itself cannot tell.
func (c apiCall) redirectNote(where string) string {
	if where == c.String() {
		return ""
	}
	return where + ": "
}

// statusError explains an answer whose status the step does not expect. 429, 408 and 5xx may pass on retry.
func (c apiCall) statusError(status int, body []byte) error {
	msg := fmt.Sprintf("call_api: %s answered %d %s", c, status, http.StatusText(status))
	if c.expected != nil {
		msg += fmt.Sprintf(" (the step expects %s)", apiCodes(c.expected))
	}
	if ex := apiBodyExcerpt(body); ex != "" {
		msg += ": " + ex
	}
	err := errors.New(msg)
	switch {
	case status >= 500:
		return workflow.Transient(workflow.ClassHTTP5xx, err)
	case status == http.StatusTooManyRequests || status == http.StatusRequestTimeout:
		return workflow.Transient(workflow.ClassHTTP4xx, err)
	case status >= 400:
		return workflow.Permanent(workflow.ClassHTTP4xx, err)
	}
	return workflow.Permanent(workflow.ClassOther, err)
}

// readAPIBody reads at most apiMaxBody bytes; tooLarge says the answer had more.
func readAPIBody(resp *http.Response) (body []byte, tooLarge bool, err error) {
	body, err = io.ReadAll(io.LimitReader(resp.Body, apiMaxBody+1))
	if err != nil {
		return nil, false, err
	}
	if len(body) > apiMaxBody {
		return body[:apiMaxBody], true, nil
	}
	return body, false, nil
}

// decodeAPIBody is the parsed JSON of a JSON answer, else the text.
func decodeAPIBody(contentType string, body []byte) any {
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt == "application/json" || strings.HasSuffix(mt, "+json") {
		if len(bytes.TrimSpace(body)) == 0 {
			return nil
		}
		var v any
		if err := json.Unmarshal(body, &v); err == nil {
			return v
		}
		// Not JSON after all: the text is more use to the next step than a failure.
	}
	return strings.ToValidUTF8(string(body), "\uFFFD")
}

// apiBodyExcerpt is the start of an answer, on one line, for an error message.
func apiBodyExcerpt(body []byte) string {
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(body), "\uFFFD")), " ")
	if utf8.RuneCountInString(s) <= apiExcerpt {
		return s
	}
	return string([]rune(s)[:apiExcerpt]) + "…"
}

// apiTimeout reads the timeout parameter: seconds, more than 0 and at most 60; 10 when absent.
func apiTimeout(v any) (time.Duration, error) {
	var secs float64
	switch t := v.(type) {
	case nil:
		return apiDefaultTimeout, nil
	case float64:
		secs = t
	case int:
		secs = float64(t)
	case string:
		if strings.TrimSpace(t) == "" {
			return apiDefaultTimeout, nil
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
		if err != nil {
			return 0, fmt.Errorf("timeout %q is not a number of seconds", t)
		}
		secs = f
	default:
		return 0, fmt.Errorf("timeout must be a number of seconds, not %s", apiKind(v))
	}
	if !(secs > 0 && secs <= apiMaxTimeout) {
		return 0, fmt.Errorf("timeout is %v seconds; use more than 0 and at most %d", secs, apiMaxTimeout)
	}
	return time.Duration(secs * float64(time.Second)), nil
}

// apiExpected reads expectedStatus: a status code, a list of them, or text such as "200, 201".
func apiExpected(v any) ([]int, error) {
	var items []any
	switch t := v.(type) {
	case nil:
		return nil, nil
	case []any:
		items = t
	case []float64, []int, []string: // a list of a definition built in Go, not decoded from JSON
		rv := reflect.ValueOf(t)
		for i := range rv.Len() {
			items = append(items, rv.Index(i).Interface())
		}
	case string:
		if strings.TrimSpace(t) == "" {
			return nil, nil
		}
		for _, s := range strings.Split(t, ",") {
			items = append(items, strings.TrimSpace(s))
		}
	default:
		items = []any{t}
	}
	if len(items) == 0 {
		return nil, errors.New("expectedStatus is an empty list; leave it out to accept any 2xx")
	}
	codes := make([]int, 0, len(items))
	for _, it := range items {
		var f float64
		switch n := it.(type) {
		case float64:
			f = n
		case int:
			f = float64(n)
		case string:
			p, err := strconv.Atoi(n)
			if err != nil {
				return nil, fmt.Errorf("expectedStatus %q is not a status code", n)
			}
			f = float64(p)
		default:
			return nil, fmt.Errorf("expectedStatus must be a status code or a list of them, not %s", apiKind(it))
		}
		if f != float64(int(f)) || f < 100 || f > 599 {
			return nil, fmt.Errorf("expectedStatus %v is not a status code (100 to 599)", f)
		}
		codes = append(codes, int(f))
	}
	return codes, nil
}

// apiCheckHeader checks one entry of the headers parameter.
func apiCheckHeader(name string, v any) error {
	if !apiHeaderName(name) {
		return fmt.Errorf("header name %q is not valid", name)
	}
	for _, r := range apiReservedHeaders {
		if strings.EqualFold(name, r) {
			return fmt.Errorf("header %s is set by Pantryflow; leave it out", r)
		}
	}
	switch s := v.(type) {
	case nil, float64, int, bool:
	case string:
		if strings.ContainsAny(s, "\r\n\x00") {
			return fmt.Errorf("header %s contains a line break", name)
		}
	default:
		return fmt.Errorf("header %s must be text, not %s", name, apiKind(v))
	}
	return nil
}

// apiHeaderName reports whether name is an HTTP token (RFC 9110).
func apiHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

func apiCodes(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}

func apiKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// apiKind names the kind of a JSON value for a message.
func apiKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "text"
	case float64, int:
		return "a number"
	case bool:
		return "true/false"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
