package server_test

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
)

// The company's working hours, reached from Settings on a desktop and on a phone: a holiday added by name is
// saved and read back through the API.
func TestBrowserWorkingHours(t *testing.T) {
	t.Parallel()
	h := start(t, storetest.SQLiteURL(t))
	for _, width := range []int{1280, 390} {
		b := newBrowser(t, h, width, 900)
		if width == 390 {
			b = newPhone(t, h)
		}
		b.signIn("admin@example.com")
		b.run(chromedp.Navigate(h.http.URL + "/settings/users"))
		b.run(chromedp.Click(chromedp.CSS(`.settings-nav a[href="/settings/calendar"]`)))
		b.waitText("#calendar-card h2", "Working hours")
		holiday := "2026-12-2" + strconv.Itoa(width%7) + " Company day"
		b.run(chromedp.SetValue(chromedp.CSS(`textarea[name="holidays"]`), holiday),
			chromedp.Click(chromedp.CSS(`#calendar-form button[type="submit"]`)))
		b.waitText(".flash", "The working hours are saved.")
		b.waitJS(fmt.Sprintf(`document.querySelector('textarea[name="holidays"]').value === %q`, holiday), "the saved holiday in the form")
		b.screenshot("working-hours-" + strconv.Itoa(width))
		b.looksRight("the working hours at " + strconv.Itoa(width) + " px")

		var cal struct {
			Holidays []string `json:"holidays"`
		}
		h.must(http.StatusOK, h.manager, "GET", "/api/calendar", nil, &cal)
		if len(cal.Holidays) != 1 || cal.Holidays[0] != holiday {
			t.Fatalf("the saved calendar's holidays = %q, want [%q]", cal.Holidays, holiday)
		}
	}
}
