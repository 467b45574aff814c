package actions

import (
	"strings"
	"testing"
)

func TestCredentialWarningsAndMasks(t *testing.T) {
	t.Parallel()
	params := map[string]any{
		"url": "https://api.example.com/leads?api_key=sk_live_0123456789&page=2",
		"headers": map[string]any{
			"Authorization": "Bearer sk_live_abcdefghij",
			"X-Api-Key":     "{{ secrets.CRM_KEY }}",
			"X-Auth-Token":  "Bearer {{ token }}",
			"Accept":        "application/json",
		},
	}
	ws := warnCallAPI(params)
	got := map[string]string{}
	for _, w := range ws {
		got[w.Path] = w.Hint
	}
	want := map[string]string{"headers.Authorization": "API_EXAMPLE_COM_AUTHORIZATION", "url?api_key": "API_EXAMPLE_COM_API_KEY"}
	if len(got) != len(want) {
		t.Fatalf("warnings %v, want %v", got, want)
	}
	for path, name := range want {
		if got[path] != name {
			t.Errorf("warning at %s suggests %q, want %q (all: %v)", path, got[path], name, got)
		}
	}
	masked := redactCallAPI(params)
	h := masked["headers"].(map[string]any)
	if h["Authorization"] != Masked || h["X-Api-Key"] != "{{ secrets.CRM_KEY }}" || h["Accept"] != "application/json" {
		t.Errorf("masked headers %v", h)
	}
	if u := masked["url"].(string); strings.Contains(u, "sk_live") || !strings.Contains(u, "page=2") {
		t.Errorf("masked url %q", u)
	}
	if params["headers"].(map[string]any)["Authorization"] != "Bearer sk_live_abcdefghij" {
		t.Error("masking changed the definition itself")
	}
}

func TestMoveCredential(t *testing.T) {
	t.Parallel()
	params := map[string]any{
		"url":     "https://bot:hunter2hunter2@api.example.com/leads?api_key=sk_live_0123456789&page=2",
		"headers": map[string]any{"Authorization": "Bearer sk_live_abcdefghij"},
	}
	cases := []struct{ where, value, field, want string }{
		{"headers.Authorization", "sk_live_abcdefghij", "headers", "Bearer {{ secrets.A }}"},
		{"url?api_key", "sk_live_0123456789", "url", "https://bot:hunter2hunter2@api.example.com/leads?api_key={{ secrets.A }}&page=2"},
		{"url@password", "hunter2hunter2", "url", "https://bot:{{ secrets.A }}@api.example.com/leads?api_key=sk_live_0123456789&page=2"},
	}
	for _, tc := range cases {
		out, value, err := MoveCredential(params, tc.where, "A")
		if err != nil {
			t.Fatalf("%s: %v", tc.where, err)
		}
		got := out[tc.field]
		if h, ok := got.(map[string]any); ok {
			got = h["Authorization"]
		}
		if value != tc.value || got != tc.want {
			t.Errorf("%s: moved %q, left %q; want %q and %q", tc.where, value, got, tc.value, tc.want)
		}
	}
	if _, _, err := MoveCredential(params, "headers.Accept", "A"); err == nil {
		t.Error("moved a header that holds no credential")
	}
}
