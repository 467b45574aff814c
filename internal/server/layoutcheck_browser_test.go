package server_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The layout checks catch what they are for: a page with a button over a heading and a box wider than the
// phone fails them, and a tidy page passes.
func TestBrowserLayoutChecksCatchProblems(t *testing.T) {
	t.Parallel()
	phone := newPhone(t, nil)
	page := func(body string) chromedp.Action[chromedp.Void] {
		return chromedp.Navigate("data:text/html," + url.PathEscape(`<!DOCTYPE html><meta name="viewport" content="width=device-width"><body>`+body))
	}

	phone.run(page(`<h1>Leads</h1><p>Jane Doe, <a href="#">a link that wraps over two lines of text on a narrow phone screen</a> and more text after it.</p><button>Save</button>`))
	if bad := phone.overlapping(); len(bad) > 0 {
		t.Fatalf("a tidy page reported overlaps: %v", bad)
	}
	if bad := phone.overflowing(); len(bad) > 0 {
		t.Fatalf("a tidy page reported overflow: %v", bad)
	}

	phone.run(page(`<h1 style="margin:0">Leads</h1><button style="position:absolute;top:0;left:0">Save</button>`))
	if bad := phone.overlapping(); len(bad) != 1 || !strings.Contains(bad[0], `button "Save"`) || !strings.Contains(bad[0], `h1 "Leads"`) {
		t.Fatalf("a button over the heading: overlaps %v", bad)
	}

	phone.run(page(`<div id="wide" style="width:600px">a table too wide for a phone</div>`))
	if bad := phone.overflowing(); len(bad) == 0 || !strings.Contains(strings.Join(bad, " "), "div#wide") {
		t.Fatalf("a 600 px box on a 390 px phone: overflow %v", bad)
	}
}
