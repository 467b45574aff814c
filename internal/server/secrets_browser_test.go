package server_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kitchenpantry/pantryflow/internal/config"
	"github.com/kitchenpantry/pantryflow/internal/server"
	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
)

// A manager keeps a team's API keys on the Secrets page, at 1280 and 390 px, and moves a key written into a
// Call an API step to a secret from the designer's panel.
func TestBrowserSecretsPageAndMovingACredential(t *testing.T) {
	t.Parallel()
	h := startTuned(t, storetest.SQLiteURL(t), func(c *config.Config, _ *server.Options) { c.SecretKey = testSecretKey })
	h.must(http.StatusCreated, h.manager, "POST", "/api/secrets", map[string]any{"name": "CRM_API_KEY", "value": "sk_live_browser_1234"}, nil)
	h.must(http.StatusCreated, h.manager, "POST", "/api/secrets", map[string]any{"name": "SHIPPING_PARTNER_TOKEN", "value": "tok_browser_5678"}, nil)
	h.createWorkflow(def("Sync leads to the CRM", map[string]any{"id": "call", "name": "Call the CRM", "type": "action", "nextSteps": []string{},
		"configuration": map[string]any{"action": "call_api", "parameters": map[string]any{"url": "https://crm.example.com/leads",
			"headers": map[string]any{"Authorization": "Bearer {{ secrets.CRM_API_KEY }}"}}}}))
	literal := h.createWorkflow(def("Literal key", map[string]any{"id": "call", "name": "Call the CRM", "type": "action", "nextSteps": []string{},
		"configuration": map[string]any{"action": "call_api", "parameters": map[string]any{"url": "https://crm.example.com/leads",
			"headers": map[string]any{"Authorization": "Bearer sk_live_written_in_9876"}}}}))

	for _, width := range []int{1280, 390} {
		b := browserAt(t, h, width)
		b.signIn("manager@example.com")
		b.run(chromedp.Navigate(h.http.URL + "/settings/secrets"))
		b.waitText("#secrets", "secrets.CRM_API_KEY")
		b.waitText("#secret-CRM_API_KEY", "Sync leads to the CRM")
		b.run(chromedp.Click(chromedp.CSS(`#secret-CRM_API_KEY summary`)))
		b.run(chromedp.WaitVisible(chromedp.CSS(`#secret-CRM_API_KEY input[name="value"]`)))
		b.screenshot("secrets-" + strconv.Itoa(width))
		b.looksRight("the Secrets page at " + strconv.Itoa(width) + " px")
	}

	b := newBrowser(t, h, 1280, 900)
	b.signIn("manager@example.com")
	b.openDesigner("/workflows/" + literal + "/designer")
	b.selectStep("call")
	b.waitText("#panel .panel-warning", "holds a credential written into the workflow")
	evalJS[bool](b, `(() => { const p = document.getElementById('panel'); p.scrollTop += p.querySelector('.panel-warning').getBoundingClientRect().top - p.getBoundingClientRect().top - 16; return true; })()`)
	b.screenshot("designer-credential-warning-1280")
	b.clickOp("move_secret:headers.Authorization")
	b.waitText("#panel-notice", "CRM_EXAMPLE_COM_AUTHORIZATION")
	b.waitStep("call", `s.configuration.parameters.headers.Authorization === 'Bearer {{ secrets.CRM_EXAMPLE_COM_AUTHORIZATION }}'`, "the header using the secret")
	evalJS[bool](b, `(() => { const p = document.getElementById('panel'); p.scrollTop += document.getElementById('panel-notice').getBoundingClientRect().top - p.getBoundingClientRect().top - 16; return true; })()`)
	b.screenshot("designer-credential-moved-1280")
	if bad := b.overflowing(); len(bad) > 0 {
		t.Errorf("elements overflow the page with the panel open: %v", bad)
	}
}
