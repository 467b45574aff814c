package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
)

func TestStartPageSendsStrangersToSignInWithItsAssets(t *testing.T) {
	t.Parallel()
	h := start(t, storetest.SQLiteURL(t))
	res, err := http.Get(h.http.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET / = %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Fatalf("no CSP on the page: %q", csp)
	}
	doc, err := goquery.NewDocumentFromReader(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if got := doc.Find("h1").Text(); got != "Sign in" {
		t.Fatalf("h1 = %q, want the sign-in page", got)
	}
	if token, _ := doc.Find(`form input[name="_csrf"]`).Attr("value"); token == "" {
		t.Fatal("the sign-in form has no CSRF token")
	}
	css, _ := doc.Find(`link[rel="stylesheet"]`).Attr("href")
	script, _ := doc.Find(`script[src]`).Attr("src")
	for _, asset := range []struct{ url, typ string }{{css, "text/css"}, {script, "text/javascript"}} {
		if !strings.Contains(asset.url, "?v=") {
			t.Fatalf("asset %q has no checksum", asset.url)
		}
		res, err := http.Get(h.http.URL + asset.url)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), asset.typ) ||
			!strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
			t.Fatalf("GET %s = %d %s %s", asset.url, res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Cache-Control"))
		}
	}
}

func TestBuiltInTemplatesAreListedAndImportable(t *testing.T) {
	t.Parallel()
	h := start(t, storetest.SQLiteURL(t))
	var list struct {
		Items []struct {
			ID    string `json:"id"`
			Steps int    `json:"steps"`
		} `json:"items"`
		Total int `json:"total"`
	}
	h.must(http.StatusOK, h.rep, "GET", "/api/templates", nil, &list)
	ids := map[string]int{}
	for _, it := range list.Items {
		ids[it.ID] = it.Steps
	}
	if list.Total != 6 || ids["lead_nurture_sequence"] != 6 || ids["opportunity_pipeline"] != 10 || ids["new_lead_round_robin"] != 2 ||
		ids["stale_opportunity_reminder"] != 4 || ids["won_deal_onboarding"] != 4 || ids["web_form_lead_capture"] != 2 {
		t.Fatalf("templates = %+v", list)
	}
	// Every template is valid on this server: each imports and publishes.
	for id := range ids {
		if id == "opportunity_pipeline" {
			continue // imported below
		}
		h.must(http.StatusCreated, h.manager, "POST", "/api/templates/"+id+"/import", nil, nil)
	}
	h.must(http.StatusForbidden, h.rep, "POST", "/api/templates/lead_nurture_sequence/import", nil, nil)
	var saved struct {
		ID      string `json:"id"`
		Version int    `json:"version"`
	}
	h.must(http.StatusCreated, h.manager, "POST", "/api/templates/opportunity_pipeline/import", nil, &saved)
	if saved.ID != "opportunity_pipeline" || saved.Version != 1 {
		t.Fatalf("imported %+v", saved)
	}
	h.must(http.StatusConflict, h.manager, "POST", "/api/templates/opportunity_pipeline/import", nil, nil)
	h.must(http.StatusCreated, h.manager, "POST", "/api/templates/opportunity_pipeline/import", map[string]any{"id": "pipeline_emea"}, &saved)
	h.must(http.StatusNotFound, h.manager, "POST", "/api/templates/../../etc/passwd/import", nil, nil)
	var def struct {
		ID    string `json:"id"`
		Steps []any  `json:"steps"`
	}
	h.must(http.StatusOK, h.rep, "GET", "/api/workflows/pipeline_emea", nil, &def)
	if def.ID != "pipeline_emea" || len(def.Steps) != 10 {
		t.Fatalf("the imported copy = %s with %d steps", def.ID, len(def.Steps))
	}
	// Imported templates are published: they can run straight away.
	h.startRun("pipeline_emea", map[string]any{"opportunity": map[string]any{"assignedTo": "rep@example.com"}})
}
