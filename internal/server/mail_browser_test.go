package server_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/store/storetest"
)

// The mail page with a mail that may have gone out twice, on a desk and on a phone: the note and the
// delivery attempts fit the page and cover nothing.
func TestBrowserMailPageSaysAMailMayHaveGoneOutTwice(t *testing.T) {
	t.Parallel()
	h, _, id := mailDeliveredTwice(t, storetest.SQLiteURL(t))
	deadline := time.Now().Add(30 * time.Second)
	for {
		var m struct {
			Status             string `json:"status"`
			PossiblyDuplicated bool   `json:"possiblyDuplicated"`
		}
		h.must(http.StatusOK, h.manager, "GET", "/api/outbox/"+id, nil, &m)
		if m.Status == store.MailSent && m.PossiblyDuplicated {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the mail is %+v after 30 s, want sent and possibly duplicated", m)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, c := range []struct {
		b     *browser
		width int
	}{{newBrowser(t, h, 1280, 900), 1280}, {newPhone(t, h), 390}} {
		c.b.signIn("manager@example.com")
		c.b.run(chromedp.Navigate(h.http.URL + "/mail"))
		c.b.waitText("#mail-"+id+" .mail-twice", "May have been sent twice")
		if w := c.b.count(`document.documentElement.clientWidth`); w != c.width {
			t.Fatalf("the page is %d px wide, want %d", w, c.width)
		}
		c.b.screenshot("mail-sent-twice-" + strconv.Itoa(c.width))
		c.b.looksRight("the mail page with a mail sent twice at " + strconv.Itoa(c.width) + " px")
	}
}
