package actions_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/actions"
	"github.com/kitchenpantry/pantryflow/internal/netguard"
	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// apiRequest is one request an apiServer received.
type apiRequest struct {
	Method, Path string
	Header       http.Header
	Body         []byte
}

// apiServer is a local API that records what it receives. It listens on 127.0.0.1, which the guard refuses
// unless the allow-list says otherwise.
type apiServer struct {
	*httptest.Server
	mu       sync.Mutex
	requests []apiRequest
}

func newAPIServer(t *testing.T, handler http.HandlerFunc) *apiServer {
	t.Helper()
	s := &apiServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.requests = append(s.requests, apiRequest{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
		s.mu.Unlock()
		handler(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *apiServer) received() []apiRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]apiRequest(nil), s.requests...)
}

// callAPI is the registry's call_api with a guarded client allowing allow.
func callAPI(t *testing.T, allow ...string) actions.Action {
	t.Helper()
	client, err := netguard.New(allow, 0)
	if err != nil {
		t.Fatalf("netguard.New(%q): %v", allow, err)
	}
	a, ok := actions.NewRegistry(actions.Builtin(actions.Deps{HTTP: client})...).Get("call_api")
	if !ok {
		t.Fatal("the built-in actions have no call_api")
	}
	return a
}

func apiInput(params map[string]any) actions.Input {
	return actions.Input{ExecutionID: "exec-1", WorkflowID: "wf-1", StepID: "step-1", Attempt: 1,
		IdempotencyKey: "exec-1:step-1:1", Params: params, Now: t0}
}

// wantAPIError checks err is a StepError of the class and permanence whose message contains msg.
func wantAPIError(t *testing.T, err error, class string, permanent bool, msg string) {
	t.Helper()
	var se *workflow.StepError
	if !errors.As(err, &se) {
		t.Fatalf("error = %v (%T), want a *workflow.StepError", err, err)
	}
	if se.Class != class || se.Permanent != permanent {
		t.Errorf("error class %q permanent %t, want %q %t (error %q)", se.Class, se.Permanent, class, permanent, err)
	}
	if !strings.Contains(err.Error(), msg) {
		t.Errorf("error =\n%q, want it to contain\n%q", err, msg)
	}
}

func answer(status int, contentType, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func TestCallAPI(t *testing.T) {
	t.Parallel()
	type stepErr struct {
		class     string
		permanent bool
		msg       string // {url} stands for the server's URL
	}
	tests := []struct {
		name       string
		handler    http.HandlerFunc
		params     map[string]any // a url starting with / is on the test server
		wantStatus float64
		wantBody   any
		wantHeader map[string]any
		wantMsg    string // {url} stands for the server's URL
		wantErr    *stepErr
	}{
		{name: "JSON answer", handler: answer(201, "application/json; charset=utf-8", `{"id": 7, "ok": true, "tags": ["a"]}`),
			params:     map[string]any{"method": "POST", "url": "/leads", "body": map[string]any{"email": "ana@example.com"}},
			wantStatus: 201, wantBody: map[string]any{"id": 7.0, "ok": true, "tags": []any{"a"}},
			wantHeader: map[string]any{"content-type": "application/json; charset=utf-8"},
			wantMsg:    "POST {url}/leads answered 201"},
		{name: "problem+json counts as JSON", handler: answer(200, "application/problem+json", `{"title": "fine"}`),
			params: map[string]any{"url": "/x"}, wantStatus: 200, wantBody: map[string]any{"title": "fine"}},
		{name: "text answer", handler: answer(200, "text/plain", "hello\n"),
			params: map[string]any{"url": "/hello"}, wantStatus: 200, wantBody: "hello\n",
			wantHeader: map[string]any{"content-type": "text/plain"}, wantMsg: "GET {url}/hello answered 200"},
		{name: "JSON that is not", handler: answer(200, "application/json", "<html>oops</html>"),
			params: map[string]any{"url": "/x"}, wantStatus: 200, wantBody: "<html>oops</html>"},
		{name: "no content", handler: answer(204, "application/json", ""),
			params: map[string]any{"method": "DELETE", "url": "/leads/7"}, wantStatus: 204, wantBody: nil,
			wantMsg: "DELETE {url}/leads/7 answered 204"},
		{name: "method in small letters", handler: answer(200, "text/plain", "ok"),
			params: map[string]any{"method": "patch", "url": "/x"}, wantStatus: 200, wantBody: "ok", wantMsg: "PATCH {url}/x answered 200"},
		{name: "the query stays out of the log", handler: answer(200, "text/plain", "ok"),
			params: map[string]any{"url": "/search?api_key=s3cret&q=ana"}, wantStatus: 200, wantBody: "ok",
			wantMsg: "GET {url}/search?… answered 200"},
		{name: "a redirect is followed", handler: func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/old" {
				http.Redirect(w, r, "/new", http.StatusMovedPermanently)
				return
			}
			answer(200, "text/plain", "moved here")(w, r)
		}, params: map[string]any{"url": "/old"}, wantStatus: 200, wantBody: "moved here"},
		{name: "expected status as a number", handler: answer(201, "text/plain", "made"),
			params: map[string]any{"url": "/x", "expectedStatus": 201.0}, wantStatus: 201, wantBody: "made"},
		{name: "expected status as text", handler: answer(201, "text/plain", "made"),
			params: map[string]any{"url": "/x", "expectedStatus": "200, 201"}, wantStatus: 201, wantBody: "made"},
		{name: "an expected 404", handler: answer(404, "text/plain", "gone"),
			params: map[string]any{"url": "/x", "expectedStatus": []any{404.0}}, wantStatus: 404, wantBody: "gone"},
		{name: "exactly 1 MiB", handler: answer(200, "text/plain", strings.Repeat("a", 1<<20)),
			params: map[string]any{"url": "/big"}, wantStatus: 200, wantBody: strings.Repeat("a", 1<<20)},

		{name: "503", handler: answer(503, "text/plain", "busy,\n  try later"), params: map[string]any{"url": "/x"},
			wantErr: &stepErr{workflow.ClassHTTP5xx, false, "call_api: GET {url}/x answered 503 Service Unavailable: busy, try later"}},
		{name: "500 with a huge page", handler: answer(500, "text/html", strings.Repeat("<p>trace</p>", 200000)),
			params:  map[string]any{"url": "/x"},
			wantErr: &stepErr{workflow.ClassHTTP5xx, false, "answered 500 Internal Server Error: " + strings.Repeat("<p>trace</p>", 16) + "<p>trace…"}},
		{name: "429", handler: answer(429, "", "slow down"), params: map[string]any{"url": "/x"},
			wantErr: &stepErr{workflow.ClassHTTP4xx, false, "call_api: GET {url}/x answered 429 Too Many Requests: slow down"}},
		{name: "404", handler: answer(404, "application/json", `{"error": "no such lead"}`), params: map[string]any{"method": "PUT", "url": "/leads/9"},
			wantErr: &stepErr{workflow.ClassHTTP4xx, true, `call_api: PUT {url}/leads/9 answered 404 Not Found: {"error": "no such lead"}`}},
		{name: "401", handler: answer(401, "", ""), params: map[string]any{"url": "/x"},
			wantErr: &stepErr{workflow.ClassHTTP4xx, true, "call_api: GET {url}/x answered 401 Unauthorized"}},
		{name: "unexpected 201", handler: answer(201, "text/plain", "made"),
			params:  map[string]any{"method": "POST", "url": "/x", "expectedStatus": []any{200.0}},
			wantErr: &stepErr{workflow.ClassOther, true, "call_api: POST {url}/x answered 201 Created (the step expects 200): made"}},
		{name: "more than 1 MiB", handler: answer(200, "application/json", `"`+strings.Repeat("a", 1<<20)+`"`),
			params: map[string]any{"url": "/big"},
			wantErr: &stepErr{workflow.ClassOther, true,
				"call_api: GET {url}/big answered with more than 1 MiB; Pantryflow keeps at most 1 MiB of an answer"}},

		{name: "unknown method", params: map[string]any{"method": "FETCH", "url": "/x"},
			wantErr: &stepErr{workflow.ClassValidation, true, `call_api: method "FETCH" is not GET, POST, PUT, PATCH or DELETE`}},
		{name: "empty url", params: map[string]any{"url": nil},
			wantErr: &stepErr{workflow.ClassValidation, true, "call_api: url is empty"}},
		{name: "ftp url", params: map[string]any{"url": "ftp://files.example.com/leads.csv"},
			wantErr: &stepErr{workflow.ClassValidation, true, `call_api: the URL "ftp://files.example.com/leads.csv" uses ftp; Pantryflow calls only http and https URLs`}},
		{name: "url with a password", params: map[string]any{"url": "https://bob:pw@api.example.com/"},
			wantErr: &stepErr{workflow.ClassValidation, true, `call_api: the URL "https://bob:xxxxx@api.example.com/" carries a user name or password`}},
		{name: "timeout too long", params: map[string]any{"url": "/x", "timeout": 600.0},
			wantErr: &stepErr{workflow.ClassValidation, true, "call_api: timeout is 600 seconds; use more than 0 and at most 60"}},
		{name: "timeout not a number", params: map[string]any{"url": "/x", "timeout": "soon"},
			wantErr: &stepErr{workflow.ClassValidation, true, `call_api: timeout "soon" is not a number of seconds`}},
		{name: "bad header name", params: map[string]any{"url": "/x", "headers": map[string]any{"X Lead": "1"}},
			wantErr: &stepErr{workflow.ClassValidation, true, `call_api: header name "X Lead" is not valid`}},
		{name: "header smuggling", params: map[string]any{"url": "/x", "headers": map[string]any{"X-Lead": "1\r\nX-Admin: yes"}},
			wantErr: &stepErr{workflow.ClassValidation, true, "call_api: header X-Lead contains a line break"}},
		{name: "object header", params: map[string]any{"url": "/x", "headers": map[string]any{"X-Lead": map[string]any{}}},
			wantErr: &stepErr{workflow.ClassValidation, true, "call_api: header X-Lead must be text, not an object"}},
		{name: "our idempotency key", params: map[string]any{"url": "/x", "headers": map[string]any{"idempotency-key": "mine"}},
			wantErr: &stepErr{workflow.ClassValidation, true, "call_api: header Idempotency-Key is set by Pantryflow; leave it out"}},
		{name: "headers not an object", params: map[string]any{"url": "/x", "headers": []any{"X-Lead"}},
			wantErr: &stepErr{workflow.ClassValidation, true, "call_api: headers must be an object of names and values, not a list"}},
		{name: "bad expected status", params: map[string]any{"url": "/x", "expectedStatus": []any{200.0, 42.0}},
			wantErr: &stepErr{workflow.ClassValidation, true, "call_api: expectedStatus 42 is not a status code (100 to 599)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			handler := tt.handler
			if handler == nil {
				handler = func(w http.ResponseWriter, _ *http.Request) { t.Error("a request went out for invalid parameters") }
			}
			srv := newAPIServer(t, handler)
			params := map[string]any{}
			for k, v := range tt.params {
				params[k] = v
			}
			if u, ok := params["url"].(string); ok && strings.HasPrefix(u, "/") {
				params["url"] = srv.URL + u
			}
			res, err := callAPI(t, "127.0.0.1").Run(context.Background(), apiInput(params))
			if tt.wantErr != nil {
				wantAPIError(t, err, tt.wantErr.class, tt.wantErr.permanent, strings.ReplaceAll(tt.wantErr.msg, "{url}", srv.URL))
				return
			}
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			out, ok := res.Output.(map[string]any)
			if !ok {
				t.Fatalf("Output = %T, want a map", res.Output)
			}
			if out["status"] != tt.wantStatus {
				t.Errorf("status = %v (%T), want %v", out["status"], out["status"], tt.wantStatus)
			}
			if !reflect.DeepEqual(out["body"], tt.wantBody) {
				t.Errorf("body = %.200v, want %.200v", out["body"], tt.wantBody)
			}
			if tt.wantHeader != nil && !reflect.DeepEqual(out["headers"], tt.wantHeader) {
				t.Errorf("headers = %v, want %v", out["headers"], tt.wantHeader)
			}
			if want := strings.ReplaceAll(tt.wantMsg, "{url}", srv.URL); tt.wantMsg != "" && res.Message != want {
				t.Errorf("Message = %q, want %q", res.Message, want)
			}
			if res.Vars != nil || res.Effects != nil {
				t.Errorf("call_api set variables %v or effects %v", res.Vars, res.Effects)
			}
		})
	}
}

func TestCallAPISendsHeadersAndBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		params     map[string]any
		wantMethod string
		wantHeader map[string]string // "" means absent
		wantBody   any               // nil: no body at all
	}{
		{name: "JSON body and headers",
			params: map[string]any{"method": "POST", "headers": map[string]any{"Authorization": "Bearer abc", "X-Lead-Score": 87.0},
				"body": map[string]any{"email": "ana@example.com", "score": 87.0, "tags": []any{"hot"}}},
			wantMethod: "POST",
			wantHeader: map[string]string{"Content-Type": "application/json", "Authorization": "Bearer abc", "X-Lead-Score": "87",
				"User-Agent": "Pantryflow", "Idempotency-Key": "exec-1:step-1:1"},
			wantBody: map[string]any{"email": "ana@example.com", "score": 87.0, "tags": []any{"hot"}}},
		{name: "a body that is text is sent as a JSON string",
			params: map[string]any{"method": "PUT", "body": "hello"}, wantMethod: "PUT",
			wantHeader: map[string]string{"Content-Type": "application/json"}, wantBody: "hello"},
		{name: "the workflow's content type and user agent win",
			params: map[string]any{"method": "POST", "body": map[string]any{"data": nil},
				"headers": map[string]any{"Content-Type": "application/vnd.api+json", "User-Agent": "KitchenPantry/2"}},
			wantMethod: "POST",
			wantHeader: map[string]string{"Content-Type": "application/vnd.api+json", "User-Agent": "KitchenPantry/2"},
			wantBody:   map[string]any{"data": nil}},
		{name: "no body", params: map[string]any{}, wantMethod: "GET",
			wantHeader: map[string]string{"Content-Type": "", "User-Agent": "Pantryflow", "Idempotency-Key": "exec-1:step-1:1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newAPIServer(t, answer(200, "text/plain", "ok"))
			params := map[string]any{"url": srv.URL + "/leads"}
			for k, v := range tt.params {
				params[k] = v
			}
			if _, err := callAPI(t, "127.0.0.1").Run(context.Background(), apiInput(params)); err != nil {
				t.Fatalf("Run: %v", err)
			}
			got := srv.received()
			if len(got) != 1 {
				t.Fatalf("the server got %d requests, want 1", len(got))
			}
			r := got[0]
			if r.Method != tt.wantMethod || r.Path != "/leads" {
				t.Errorf("request = %s %s, want %s /leads", r.Method, r.Path, tt.wantMethod)
			}
			for name, want := range tt.wantHeader {
				if v := r.Header.Get(name); v != want {
					t.Errorf("header %s = %q, want %q", name, v, want)
				}
			}
			if tt.wantBody == nil {
				if len(r.Body) != 0 {
					t.Errorf("body = %q, want none", r.Body)
				}
				return
			}
			var body any
			if err := json.Unmarshal(r.Body, &body); err != nil {
				t.Fatalf("body %q is not JSON: %v", r.Body, err)
			}
			if !reflect.DeepEqual(body, tt.wantBody) {
				t.Errorf("body = %v, want %v", body, tt.wantBody)
			}
		})
	}
}

// The engine retries a step by running it again with the same Input: the API must see the same key.
func TestCallAPIRetryKeepsTheIdempotencyKey(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	srv := newAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			answer(503, "text/plain", "warming up")(w, r)
			return
		}
		answer(201, "application/json", `{"id": "lead-9"}`)(w, r)
	})
	a := callAPI(t, "127.0.0.1")
	in := apiInput(map[string]any{"method": "POST", "url": srv.URL + "/leads", "body": map[string]any{"email": "ana@example.com"}})
	attempts := []struct {
		wantStatus float64
		wantClass  string // "" for success
	}{
		{wantClass: workflow.ClassHTTP5xx},
		{wantStatus: 201},
	}
	for i, at := range attempts {
		res, err := a.Run(context.Background(), in)
		if at.wantClass != "" {
			wantAPIError(t, err, at.wantClass, false, "answered 503 Service Unavailable: warming up")
			continue
		}
		if err != nil {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
		out := res.Output.(map[string]any)
		if out["status"] != at.wantStatus || !reflect.DeepEqual(out["body"], map[string]any{"id": "lead-9"}) {
			t.Fatalf("attempt %d: output %v", i+1, out)
		}
	}
	got := srv.received()
	if len(got) != len(attempts) {
		t.Fatalf("the server got %d requests, want %d", len(got), len(attempts))
	}
	for i, r := range got {
		if k := r.Header.Get("Idempotency-Key"); k != "exec-1:step-1:1" {
			t.Errorf("request %d: Idempotency-Key = %q, want exec-1:step-1:1", i+1, k)
		}
		if string(r.Body) != `{"email":"ana@example.com"}` {
			t.Errorf("request %d: body %q", i+1, r.Body)
		}
	}
}

func TestCallAPITimeout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		handler http.HandlerFunc
		timeout any
	}{
		{name: "no answer", timeout: 1.0, handler: func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		}},
		{name: "a body that stalls", timeout: "1", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"items": [`)
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newAPIServer(t, tt.handler)
			start := time.Now()
			_, err := callAPI(t, "127.0.0.1").Run(context.Background(), apiInput(map[string]any{"url": srv.URL + "/slow", "timeout": tt.timeout}))
			elapsed := time.Since(start)
			wantAPIError(t, err, workflow.ClassTimeout, false, "call_api: GET "+srv.URL+"/slow did not answer within 1s")
			if elapsed < 900*time.Millisecond || elapsed > 2*time.Second {
				t.Errorf("the step gave up after %s, want about 1s", elapsed)
			}
		})
	}
}

func TestCallAPIRefusesPrivateAddresses(t *testing.T) {
	t.Parallel()
	secret := newAPIServer(t, answer(200, "text/plain", "internal data"))
	port := secret.Listener.Addr().(*net.TCPAddr).Port
	front := newAPIServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, secret.URL+"/admin", http.StatusFound)
	})
	frontPort := front.Listener.Addr().(*net.TCPAddr).Port
	tests := []struct {
		name  string
		allow []string
		url   string
		want  string
	}{
		{name: "loopback", url: secret.URL + "/admin",
			want: "call_api: the address 127.0.0.1 is private (loopback); Pantryflow refuses it to protect your network — add it to PANTRYFLOW_HTTP_ALLOW if it is intended"},
		{name: "a name for loopback", url: fmt.Sprintf("http://localhost:%d/admin", port),
			want: "call_api: the host localhost resolves to 127.0.0.1, which is private (loopback); Pantryflow refuses it to protect your network — add localhost to PANTRYFLOW_HTTP_ALLOW if it is intended"},
		{name: "cloud metadata", url: "http://169.254.169.254/latest/meta-data/iam/",
			want: "call_api: the address 169.254.169.254 is private (link-local: the cloud metadata service)"},
		{name: "decimal loopback", url: fmt.Sprintf("http://2130706433:%d/admin", port),
			want: "call_api: the address 2130706433 means 127.0.0.1, which is private (loopback)"},
		{name: "redirect from an allowed host", allow: []string{"localhost"}, url: fmt.Sprintf("http://localhost:%d/start", frontPort),
			want: fmt.Sprintf("call_api: GET http://localhost:%d/start redirected to %s/admin: the address 127.0.0.1 is private (loopback)", frontPort, secret.URL)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := callAPI(t, tt.allow...).Run(context.Background(), apiInput(map[string]any{"url": tt.url}))
			wantAPIError(t, err, workflow.ClassValidation, true, tt.want)
		})
	}
	t.Cleanup(func() {
		if n := len(secret.received()); n != 0 {
			t.Errorf("the internal server got %d request(s)", n)
		}
	})
}

func TestCallAPIConnectionFailures(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/x"
	_ = ln.Close() // nothing listens there any more: connection refused
	loop := newAPIServer(t, func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, r.URL.Path+"x", http.StatusFound) })
	selfSigned := httptest.NewUnstartedServer(answer(200, "text/plain", "ok"))
	selfSigned.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	selfSigned.StartTLS()
	t.Cleanup(selfSigned.Close)
	tests := []struct {
		name      string
		url       string
		class     string
		permanent bool
		want      string
	}{
		{"connection refused", closed, workflow.ClassNetwork, false, "call_api: GET " + closed + " could not be reached: dial tcp"},
		{"no such host", "http://no-such-host.invalid/x", workflow.ClassNetwork, false, "call_api: GET http://no-such-host.invalid/x could not be reached"},
		{"redirect loop", loop.URL + "/", workflow.ClassValidation, true, "call_api: GET " + loop.URL + "/ redirected more than 5 times; Pantryflow stops there"},
		{"untrusted certificate", selfSigned.URL + "/x", workflow.ClassNetwork, true, "call_api: GET " + selfSigned.URL + "/x: the server's certificate is not valid: x509:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := callAPI(t, "127.0.0.1").Run(context.Background(), apiInput(map[string]any{"url": tt.url}))
			wantAPIError(t, err, tt.class, tt.permanent, tt.want)
		})
	}
}

func TestCallAPIWithoutClient(t *testing.T) {
	t.Parallel()
	a, _ := actions.NewRegistry(actions.Builtin(actions.Deps{})...).Get("call_api")
	_, err := a.Run(context.Background(), apiInput(map[string]any{"url": "https://api.example.com/"}))
	wantAPIError(t, err, workflow.ClassOther, true, "call_api: this Pantryflow server is not set up for outgoing calls")
}

func TestCallAPICheckAtSaveTime(t *testing.T) {
	t.Parallel()
	check := callAPI(t).Spec().Check
	if check == nil {
		t.Fatal("call_api has no save-time check")
	}
	tests := []struct {
		name   string
		params map[string]any
		want   string // the problems as "path: message; …"
	}{
		{"fine", map[string]any{"url": "https://api.example.com/leads", "timeout": 30.0, "expectedStatus": []any{200.0, 201.0},
			"headers": map[string]any{"Authorization": "Bearer {{ token }}"}}, ""},
		{"templates are checked when the step runs", map[string]any{"url": "{{ apiBase }}/leads", "timeout": "{{ wait }}", "expectedStatus": "{{ codes }}"}, ""},
		{"a template in the list", map[string]any{"url": "https://x.example", "expectedStatus": []any{200.0, "{{ okCode }}"}}, ""},
		{"ftp", map[string]any{"url": "ftp://x"}, `url: the URL "ftp://x" uses ftp; Pantryflow calls only http and https URLs`},
		{"ftp before a template", map[string]any{"url": "ftp://{{ host }}/x"}, `url: the URL "ftp://{{ host }}/x" uses ftp; Pantryflow calls only http and https URLs`},
		{"no scheme", map[string]any{"url": "api.example.com"}, `url: "api.example.com" is not a full URL: it needs http:// or https:// in front`},
		{"timeout 600", map[string]any{"url": "https://x.example", "timeout": 600.0}, "timeout: timeout is 600 seconds; use more than 0 and at most 60"},
		{"timeout 0", map[string]any{"url": "https://x.example", "timeout": 0.0}, "timeout: timeout is 0 seconds; use more than 0 and at most 60"},
		{"status 42", map[string]any{"url": "https://x.example", "expectedStatus": 42.0}, "expectedStatus: expectedStatus 42 is not a status code (100 to 599)"},
		{"reserved header", map[string]any{"url": "https://x.example", "headers": map[string]any{"Host": "intranet"}},
			"headers.Host: header Host is set by Pantryflow; leave it out"},
	}
	for _, tt := range tests {
		var got []string
		for _, p := range check(tt.params, nil) {
			got = append(got, p.Path+": "+p.Message)
		}
		if strings.Join(got, "; ") != tt.want {
			t.Errorf("%s: Check = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// Both readers of call_api's parameters, the check when a workflow is saved and the run, read them through
// workflow.CallAPIParams: a list of codes is a list whatever its Go type, and a value of the wrong type is
// reported as it was written.
func TestCallAPIReadsTypedParameters(t *testing.T) {
	t.Parallel()
	srv := newAPIServer(t, answer(201, "text/plain", "made"))
	spec := callAPI(t, "127.0.0.1").Spec()
	for _, codes := range []any{[]any{201.0}, []float64{201}, []int{201}, []string{"201"}, "201"} {
		params := map[string]any{"url": srv.URL + "/x", "method": "POST", "expectedStatus": codes}
		if ps := spec.Check(params, nil); len(ps) != 0 {
			t.Errorf("expectedStatus %#v: the check says %v", codes, ps)
		}
		res, err := callAPI(t, "127.0.0.1").Run(context.Background(), apiInput(params))
		if err != nil {
			t.Fatalf("expectedStatus %#v: %v", codes, err)
		}
		if out := res.Output.(map[string]any); out["status"] != 201.0 {
			t.Fatalf("expectedStatus %#v: status %v", codes, out["status"])
		}
	}
	// A template that rendered a number where the method goes: the run reads it as text, as before.
	_, err := callAPI(t, "127.0.0.1").Run(context.Background(), apiInput(map[string]any{"url": srv.URL + "/x", "method": 7.0}))
	wantAPIError(t, err, workflow.ClassValidation, true, `call_api: method "7" is not GET, POST, PUT, PATCH or DELETE`)
	// A literal of the wrong type is left to the kind check; the action's own check says nothing about it.
	if ps := spec.Check(map[string]any{"url": 5.0, "headers": "{{ vars.h }}", "timeout": "{{ vars.t }}"}, nil); len(ps) != 0 {
		t.Errorf("the check says %v", ps)
	}
	if ps := spec.Check(map[string]any{"url": "https://api.example.com", "timeout": 600.0, "headers": map[string]any{"Host": "x"}}, nil); len(ps) != 2 ||
		ps[0].Path != "timeout" || ps[1].Path != "headers.Host" {
		t.Errorf("the check says %v, want the timeout and the Host header", ps)
	}
}
