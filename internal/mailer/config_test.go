package mailer_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/mailer"
)

func TestParseSMTPURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		raw     string
		want    mailer.Config
		wantErr string // a part of the error; "" for no error
	}{
		{name: "empty is not configured", raw: "", want: mailer.Config{}},
		{name: "blank is not configured", raw: "  ", want: mailer.Config{}},
		{name: "smtp with credentials and port", raw: "smtp://sales:s3cret@mail.example.com:2525",
			want: mailer.Config{Host: "mail.example.com", Port: 2525, Username: "sales", Password: "s3cret", TLS: mailer.TLSStartTLS}},
		{name: "smtp default port 587", raw: "smtp://mail.example.com",
			want: mailer.Config{Host: "mail.example.com", Port: 587, TLS: mailer.TLSStartTLS}},
		{name: "smtps default port 465", raw: "smtps://u:p@mail.example.com",
			want: mailer.Config{Host: "mail.example.com", Port: 465, Username: "u", Password: "p", TLS: mailer.TLSImplicit}},
		{name: "escaped password", raw: "smtp://sales%40example.com:p%40ss%3Aword@mail.example.com",
			want: mailer.Config{Host: "mail.example.com", Port: 587, Username: "sales@example.com", Password: "p@ss:word", TLS: mailer.TLSStartTLS}},
		{name: "plain for tests", raw: "smtp://127.0.0.1:1025?tls=none",
			want: mailer.Config{Host: "127.0.0.1", Port: 1025, TLS: mailer.TLSNone}},
		{name: "explicit starttls, insecure", raw: "smtp://[::1]:25?tls=starttls&insecure=1",
			want: mailer.Config{Host: "::1", Port: 25, TLS: mailer.TLSStartTLS, Insecure: true}},
		{name: "trailing slash", raw: "smtp://mail.example.com/",
			want: mailer.Config{Host: "mail.example.com", Port: 587, TLS: mailer.TLSStartTLS}},

		{name: "other scheme", raw: "http://mail.example.com", wantErr: `must start with smtp:// or smtps://, not "http:"`},
		{name: "no scheme", raw: "mail.example.com:587", wantErr: "must start with smtp:// or smtps://"},
		{name: "no host", raw: "smtp://:587", wantErr: "SMTP URL has no host"},
		{name: "port not a number", raw: "smtp://mail.example.com:smtp", wantErr: `not a valid URL: invalid port ":smtp"`},
		{name: "port out of range", raw: "smtp://mail.example.com:70000", wantErr: `port "70000" is not a number from 1 to 65535`},
		{name: "port zero", raw: "smtp://mail.example.com:0", wantErr: `port "0" is not a number from 1 to 65535`},
		{name: "path", raw: "smtp://mail.example.com/inbox", wantErr: `must not have a path ("/inbox")`},
		{name: "password without user", raw: "smtp://:secret@mail.example.com", wantErr: "a password but no user name"},
		{name: "unknown parameter", raw: "smtp://mail.example.com?tsl=none", wantErr: `unknown parameter "tsl"`},
		{name: "unknown tls", raw: "smtp://mail.example.com?tls=ssl", wantErr: `tls="ssl" is not one of none, starttls`},
		{name: "smtps without tls", raw: "smtps://mail.example.com?tls=none", wantErr: "smtps:// always uses TLS"},
		{name: "smtps with starttls", raw: "smtps://mail.example.com?tls=starttls", wantErr: "write smtp:// for STARTTLS"},
		{name: "bad insecure", raw: "smtp://mail.example.com?insecure=yes", wantErr: `insecure="yes" is not 1 or 0`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := mailer.ParseSMTPURL(tt.raw)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseSMTPURL(%q) error = %v, want one containing %q", tt.raw, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSMTPURL(%q): %v", tt.raw, err)
			}
			if got != tt.want {
				t.Fatalf("ParseSMTPURL(%q) = %+v, want %+v", tt.raw, got, tt.want)
			}
			if got.Configured() != (tt.raw != "" && strings.TrimSpace(tt.raw) != "") {
				t.Fatalf("Configured() = %t for %q", got.Configured(), tt.raw)
			}
		})
	}
}

// Errors and logs never show the password.
func TestSMTPURLHidesPassword(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{
		"smtp://sales:hunter22@mail.example.com:bad",
		"smtp://sales:hunter22@mail.example.com/path",
		"smtp://sales:hunter22@mail.example.com?tls=ssl",
	} {
		if _, err := mailer.ParseSMTPURL(raw); err == nil || strings.Contains(err.Error(), "hunter22") {
			t.Errorf("ParseSMTPURL(%q) error = %v, want an error without the password", raw, err)
		}
	}
	c, err := mailer.ParseSMTPURL("smtps://sales:hunter22@mail.example.com?insecure=1")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.String(), "smtps://sales:xxxxx@mail.example.com:465?insecure=1"; got != want {
		t.Fatalf("String() = %q, want %q", got, want)
	}
	if got, want := (mailer.Config{}).String(), "(no SMTP server configured)"; got != want {
		t.Fatalf("zero Config String() = %q, want %q", got, want)
	}
}

func TestRetryDelay(t *testing.T) {
	t.Parallel()
	tests := []struct {
		base    time.Duration
		attempt int
		want    time.Duration
	}{
		{0, 1, 5 * time.Second}, // the default base
		{0, 2, 10 * time.Second},
		{0, 4, 40 * time.Second},
		{0, 8, 10 * time.Minute}, // 640s capped
		{0, 10, 10 * time.Minute},
		{100 * time.Millisecond, 1, 100 * time.Millisecond},
		{100 * time.Millisecond, 3, 400 * time.Millisecond},
		{100 * time.Millisecond, 0, 100 * time.Millisecond},
		{time.Hour, 1, 10 * time.Minute},
		{time.Second, 1000, 10 * time.Minute}, // no overflow
	}
	for _, tt := range tests {
		if got := mailer.RetryDelay(tt.base, tt.attempt); got != tt.want {
			t.Errorf("RetryDelay(%v, %d) = %v, want %v", tt.base, tt.attempt, got, tt.want)
		}
	}
}

func TestMessageIDIsStablePerKey(t *testing.T) {
	t.Parallel()
	a, b := mailer.MessageID("exec-1:welcome:1"), mailer.MessageID("exec-1:welcome:1")
	if a != b {
		t.Fatalf("MessageID differs for one key: %q, %q", a, b)
	}
	if c := mailer.MessageID("exec-1:welcome:2"); c == a {
		t.Fatalf("MessageID is %q for two keys", c)
	}
	if !strings.HasSuffix(a, "@pantryflow") || len(a) != 32+len("@pantryflow") || strings.ContainsAny(a, "<> :") {
		t.Fatalf("MessageID = %q, want 32 hex digits @pantryflow", a)
	}
}
