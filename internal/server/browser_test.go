package server_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// browser drives Debian's chromium (never a downloaded one) against the harness's server.
type browser struct {
	t   *testing.T
	h   *harness
	ctx context.Context
}

// chromiumPath finds the browser: PANTRYFLOW_CHROMIUM, else chromium on the PATH. Without one the browser
// tests skip, except under CI=true, where they must run.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("PANTRYFLOW_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium found, but CI=true requires the browser tests to run (apt-get install chromium)")
	}
	t.Skip("no chromium found; skipping the browser test")
	return ""
}

// newBrowser opens a tab in a browser context of its own (its own cookies, storage and cache, like a fresh
// profile) in the test binary's chromium for windows of width × height. Starting a chromium costs seconds of
// CPU, so the browser tests share one per window size instead of starting one or two each.
func newBrowser(t *testing.T, h *harness, width, height int) *browser {
	t.Helper()
	shared, err := browsers.get(chromiumPath(t), width, height)
	if err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	ctx, cancel := chromedp.NewContext(shared.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	// A window opened later has less chrome around the page than the browser's first window: it gets the
	// first window's viewport, as when each test had a chromium of its own.
	if err := fitViewport(ctx, shared.viewport); err != nil {
		t.Fatalf("size the tab's window: %v", err)
	}
	return &browser{t: t, h: h, ctx: ctx}
}

// viewportOf reads the size of the page's viewport.
func viewportOf(ctx context.Context) ([2]int, error) {
	v, err := chromedp.Run(ctx, chromedp.Evaluate[[2]int](`[innerWidth, innerHeight]`))
	return v, err
}

// fitViewport resizes the tab's window so that its viewport is want.
func fitViewport(ctx context.Context, want [2]int) error {
	got, err := viewportOf(ctx)
	if err != nil || got == want {
		return err
	}
	win, err := chromedp.CallBrowser(ctx, cdpbrowser.GetWindowForTarget, cdpbrowser.GetWindowForTargetParams{TargetID: chromedp.FromContext(ctx).Target.TargetID})
	if err != nil {
		return err
	}
	bounds := &cdpbrowser.Bounds{Width: win.Bounds.Width + int64(want[0]-got[0]), Height: win.Bounds.Height + int64(want[1]-got[1])}
	if _, err := chromedp.CallBrowser(ctx, cdpbrowser.SetWindowBounds, cdpbrowser.SetWindowBoundsParams{WindowID: win.WindowID, Bounds: bounds}); err != nil {
		return err
	}
	if got, err = viewportOf(ctx); err == nil && got != want {
		err = fmt.Errorf("the viewport is %v after resizing, want %v", got, want)
	}
	return err
}

// browsers are the test binary's chromiums, one per window size, started on first use and stopped by
// TestMain.
var browsers sharedBrowsers

type sharedBrowsers struct {
	mu     sync.Mutex
	bySize map[[2]int]*sharedBrowser
}

type sharedBrowser struct {
	ctx      context.Context // of the browser's first tab
	viewport [2]int          // of the browser's first window
	err      error
	cancel   func()
	profile  string
}

// get returns the chromium for windows of width × height, starting it the first time.
func (s *sharedBrowsers) get(path string, width, height int) (*sharedBrowser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := [2]int{width, height}
	if b, ok := s.bySize[key]; ok {
		return b, b.err
	}
	if s.bySize == nil {
		s.bySize = map[[2]int]*sharedBrowser{}
	}
	b := &sharedBrowser{}
	s.bySize[key] = b
	b.profile, b.err = os.MkdirTemp("", "pantryflow-chromium-")
	if b.err != nil {
		return b, b.err
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		// No pulsing boxes: an endless CSS animation makes chromium draw 60 frames a second for as long as
		// its tab is open, on the cores every other test needs.
		chromedp.Flag("force-prefers-reduced-motion", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("mute-audio", true),
		chromedp.UserDataDir(b.profile),
		chromedp.WindowSize(width, height),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	b.ctx, b.cancel = ctx, func() { cancelCtx(); cancelAlloc() }
	// The first action starts the browser; it must not run under a timeout (that would stop the browser).
	if b.err = chromedp.Do(ctx, chromedp.Navigate("about:blank")); b.err == nil {
		b.viewport, b.err = viewportOf(ctx)
	}
	return b, b.err
}

// stop stops every chromium and removes its profile.
func (s *sharedBrowsers) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range s.bySize {
		if b.cancel != nil {
			b.cancel()
		}
		if b.profile != "" {
			_ = os.RemoveAll(b.profile)
		}
	}
	s.bySize = nil
}

// run performs actions, each step bounded so a missing element fails the test instead of hanging it.
func (b *browser) run(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// signIn signs in through the sign-in form.
func (b *browser) signIn(email string) {
	b.t.Helper()
	b.run(
		chromedp.Navigate(b.h.http.URL+"/login"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), "correct horse battery"),
		chromedp.Click(chromedp.CSS(`main button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`nav.nav`)),
	)
}

// text reads the text of the first element matching sel.
func (b *browser) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("read %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// waitText waits until the element's text contains want.
func (b *browser) waitText(sel, want string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 500*time.Millisecond)
		s, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		cancel()
		if strings.Contains(s, want) {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s never said %q; it says %q", sel, want, s)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// screenshot saves a full-page PNG under PANTRYFLOW_SCREENSHOTS (when set) for people to look at.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	dir := os.Getenv("PANTRYFLOW_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// overflowing lists elements wider than the page (nothing may overflow sideways).
func (b *browser) overflowing() []string {
	b.t.Helper()
	out, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`(() => {
		const w = document.documentElement.clientWidth;
		const bad = [];
		for (const el of document.querySelectorAll('body *')) {
			// Drawings and wide tables scroll inside their box; a table stacked on a phone must fit in its box.
			if (el.closest('.graph-wrap, pre, #canvas .drawflow')) continue; // the designer's canvas clips its drawing
			const wrap = el.closest('.table-wrap');
			const stacked = el.closest('table.responsive') && getComputedStyle(el.closest('table.responsive').querySelector('thead') || el).display === 'none';
			if (wrap && !stacked) continue;
			const right = wrap ? wrap.getBoundingClientRect().right : w;
			const r = el.getBoundingClientRect();
			if (r.width > 0 && (r.right > right + 1 || r.left < -1)) bad.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : ''));
		}
		return bad.slice(0, 10);
	})()`))
	if err != nil {
		b.t.Fatalf("measure overflow: %v", err)
	}
	return out
}

// browserAt is a browser as wide as width: a phone's viewport below 500 px, else a 900 px high window.
func browserAt(t *testing.T, h *harness, width int) *browser {
	t.Helper()
	if width < 500 {
		return newPhone(t, h)
	}
	return newBrowser(t, h, width, 900)
}

// newPhone is a browser with a phone's viewport, 390 × 844. Headless chromium keeps its window at least
// 500 px wide, so the phone's viewport is emulated.
func newPhone(t *testing.T, h *harness) *browser {
	t.Helper()
	b := newBrowser(t, h, 500, 844)
	b.run(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	return b
}

// overlapping lists pairs of visible pieces of text and controls that cover each other (a label under an
// input, a button over a heading). It compares line boxes (getClientRects), so a link wrapped over two lines
// does not count as covering the text beside it; drawings (the workflow graph) are left out.
func (b *browser) overlapping() []string {
	b.t.Helper()
	out, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`(() => {
		const sel = 'a, button, input, select, textarea, label, h1, h2, h3, p, th, td, dt, dd, li, .badge, summary';
		const els = [...document.querySelectorAll(sel)].filter(el => {
			if (el.closest('svg, .graph-wrap, canvas, [hidden]')) return false;
			// The inside of a closed <details> keeps its boxes but is not shown.
			const closed = el.closest('details:not([open])');
			if (closed && !el.closest('summary')) return false;
			return el.checkVisibility({opacityProperty: true, visibilityProperty: true}) && el.getClientRects().length > 0;
		});
		const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\s+/).join('.') : '') + ' "' + (el.innerText || el.value || '').trim().slice(0, 30) + '"';
		const rects = els.map(el => [...el.getClientRects()].filter(r => r.width > 1 && r.height > 1));
		const bad = [];
		for (let i = 0; i < els.length && bad.length < 10; i++) {
			for (let j = i + 1; j < els.length && bad.length < 10; j++) {
				const a = els[i], c = els[j];
				if (a.contains(c) || c.contains(a)) continue;
				// Cells of one table and items of one list sit side by side by construction.
				if (a.parentElement === c.parentElement && /^(TD|TH|LI|DT|DD)$/.test(a.tagName) && /^(TD|TH|LI|DT|DD)$/.test(c.tagName)) continue;
				const hit = rects[i].some(r => rects[j].some(q => {
					const w = Math.min(r.right, q.right) - Math.max(r.left, q.left);
					const h = Math.min(r.bottom, q.bottom) - Math.max(r.top, q.top);
					return w > 2 && h > 2;
				}));
				if (hit) bad.push(name(a) + ' × ' + name(c));
			}
		}
		return bad;
	})()`))
	if err != nil {
		b.t.Fatalf("measure overlap: %v", err)
	}
	return out
}

// looksRight fails the test when anything overflows the page sideways or covers something else.
func (b *browser) looksRight(page string) {
	b.t.Helper()
	if bad := b.overflowing(); len(bad) > 0 {
		b.t.Fatalf("%s: elements overflow the page: %v", page, bad)
	}
	if bad := b.overlapping(); len(bad) > 0 {
		b.t.Fatalf("%s: elements cover each other: %v", page, bad)
	}
}
