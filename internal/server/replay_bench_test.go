package server_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/kitchenpantry/pantryflow/internal/config"
	"github.com/kitchenpantry/pantryflow/internal/server"
)

// BenchmarkReplay replays a draft of the lead router over its last 100 runs on SQLite, through the API
// with a token, as the designer's Replay page asks for it (the target: under 2 s):
//
//	go test -run '^$' -bench Replay -benchtime 10x ./internal/server/
func BenchmarkReplay(b *testing.B) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	b.Cleanup(api.Close)
	h := startTuned(b, storetestSQLiteURL(b), func(c *config.Config, _ *server.Options) { c.HTTPAllow = "127.0.0.1" })
	wf := replayHistory(b, h, api.URL)
	h.must(http.StatusOK, h.manager, "PUT", "/api/workflows/"+wf, replayWorkflow(80, "{{ email }}", api.URL), nil)
	var r replayAnswer
	for b.Loop() {
		h.must(http.StatusOK, h.manager, "POST", "/api/workflows/"+wf+"/replay", map[string]any{"runs": replayRuns}, &r)
	}
	if len(r.Runs) != replayRuns {
		b.Fatalf("replayed %d runs, want %d", len(r.Runs), replayRuns)
	}
}
