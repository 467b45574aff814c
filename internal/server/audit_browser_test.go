package server_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
)

// The audit log on a desktop and on a phone, reached from Settings.
func TestBrowserAuditLog(t *testing.T) {
	t.Parallel()
	h := start(t, storetest.SQLiteURL(t))
	wf := h.createWorkflow(mailToEmail())
	h.must(http.StatusOK, h.manager, "POST", "/api/workflows/"+wf+"/enabled", map[string]any{"enabled": false}, nil)
	for _, width := range []int{1280, 390} {
		b := newBrowser(t, h, width, 900)
		if width == 390 {
			b = newPhone(t, h)
		}
		b.signIn("admin@example.com")
		b.run(chromedp.Navigate(h.http.URL + "/settings/users"))
		b.run(chromedp.Click(chromedp.CSS(`.settings-nav a[href="/settings/audit"]`)))
		b.waitText("#audit h2", "Audit log")
		b.waitText("#audit .audit-list", "workflow disabled")
		b.screenshot("audit-" + strconv.Itoa(width))
		b.looksRight("the audit log at " + strconv.Itoa(width) + " px")
	}
}
