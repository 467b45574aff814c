package config_test

import (
	"errors"
	"flag"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/config"
)

// load runs config.Load with env as the whole environment and a fresh flag set.
func load(t *testing.T, env map[string]string, args ...string) (config.Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("pantryflow serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return config.Load(func(k string) string { return env[k] }, fs, args)
}

func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	got, err := load(t, nil)
	if err != nil {
		t.Fatalf("Load with nothing set: %v", err)
	}
	want := config.Config{
		Addr:                ":8080",
		DatabaseURL:         "sqlite://./data/pantryflow.db",
		MailFrom:            "Kitchen Pantry <no-reply@kitchenpantry.example>",
		BaseURL:             "http://localhost:8080",
		LogLevel:            "info",
		TimerInterval:       time.Second,
		ExprTimeout:         time.Second,
		DeadAfter:           20 * time.Second,
		SameMachineTakeover: "on",
	}
	if got != want {
		t.Fatalf("Load() = %+v, want %+v", got, want)
	}
	if got != config.Defaults() {
		t.Fatalf("Load() = %+v, want Defaults() %+v", got, config.Defaults())
	}
}

var fullEnv = map[string]string{
	"PANTRYFLOW_ADDR":                  "127.0.0.1:9000",
	"PANTRYFLOW_DATABASE_URL":          "postgres://pf:pw@db.internal:5432/pantryflow?sslmode=require",
	"PANTRYFLOW_ADMIN_EMAIL":           "boss@example.com",
	"PANTRYFLOW_ADMIN_PASSWORD":        "correct horse battery",
	"PANTRYFLOW_SESSION_SECRET":        "0123456789abcdef0123456789abcdef",
	"PANTRYFLOW_SMTP_URL":              "smtp://mailer:pw@smtp.example.com:587",
	"PANTRYFLOW_MAIL_FROM":             "Sales <sales@example.com>",
	"PANTRYFLOW_HTTP_ALLOW":            "crm.internal,10.0.0.0/8",
	"PANTRYFLOW_BASE_URL":              "https://pantryflow.example.com",
	"PANTRYFLOW_LOG_LEVEL":             "debug",
	"PANTRYFLOW_WORKERS":               "12",
	"PANTRYFLOW_TIMER_INTERVAL":        "250ms",
	"PANTRYFLOW_EXPR_TIMEOUT":          "2s",
	"PANTRYFLOW_SECRET_KEY":            "fedcba9876543210fedcba9876543210",
	"PANTRYFLOW_DEAD_AFTER":            "45s",
	"PANTRYFLOW_SAME_MACHINE_TAKEOVER": "off",
	"PANTRYFLOW_TRUSTED_PROXIES":       "10.0.0.7, 192.168.0.0/16",
}

var fullConfig = config.Config{
	Addr:                "127.0.0.1:9000",
	DatabaseURL:         "postgres://pf:pw@db.internal:5432/pantryflow?sslmode=require",
	AdminEmail:          "boss@example.com",
	AdminPassword:       "correct horse battery",
	SessionSecret:       "0123456789abcdef0123456789abcdef",
	SMTPURL:             "smtp://mailer:pw@smtp.example.com:587",
	MailFrom:            "Sales <sales@example.com>",
	HTTPAllow:           "crm.internal,10.0.0.0/8",
	BaseURL:             "https://pantryflow.example.com",
	LogLevel:            "debug",
	Workers:             12,
	TimerInterval:       250 * time.Millisecond,
	ExprTimeout:         2 * time.Second,
	SecretKey:           "fedcba9876543210fedcba9876543210",
	DeadAfter:           45 * time.Second,
	SameMachineTakeover: "off",
	TrustedProxies:      "10.0.0.7, 192.168.0.0/16",
}

func TestLoadEnvironmentOverridesDefaults(t *testing.T) {
	t.Parallel()
	got, err := load(t, fullEnv)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got != fullConfig {
		t.Fatalf("Load() = %+v, want %+v", got, fullConfig)
	}
}

func TestLoadFlagsOverrideEnvironment(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want func(c *config.Config)
	}{
		{"addr", []string{"-addr", ":9100"}, func(c *config.Config) { c.Addr = ":9100" }},
		{"database", []string{"--database-url=sqlite:///var/lib/pf.db"}, func(c *config.Config) { c.DatabaseURL = "sqlite:///var/lib/pf.db" }},
		{"workers and interval", []string{"-workers", "3", "-timer-interval", "2s"}, func(c *config.Config) {
			c.Workers = 3
			c.TimerInterval = 2 * time.Second
		}},
		{"log level", []string{"-log-level=warn"}, func(c *config.Config) { c.LogLevel = "warn" }},
		{"mail", []string{"-mail-from", "ops@example.com", "-smtp-url", "smtps://smtp.example.com:465"}, func(c *config.Config) {
			c.MailFrom = "ops@example.com"
			c.SMTPURL = "smtps://smtp.example.com:465"
		}},
		{"admin and secrets", []string{"-admin-email", "root@example.com", "-admin-password", "0123456789", "-session-secret", strings.Repeat("s", 32)}, func(c *config.Config) {
			c.AdminEmail = "root@example.com"
			c.AdminPassword = "0123456789"
			c.SessionSecret = strings.Repeat("s", 32)
		}},
		{"allow and base URL", []string{"-http-allow", "", "-base-url", "http://10.1.2.3:8080"}, func(c *config.Config) {
			c.HTTPAllow = ""
			c.BaseURL = "http://10.1.2.3:8080"
		}},
		{"trusted proxies", []string{"-trusted-proxies", "127.0.0.1/32"}, func(c *config.Config) { c.TrustedProxies = "127.0.0.1/32" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			want := fullConfig
			tt.want(&want)
			got, err := load(t, fullEnv, tt.args...)
			if err != nil {
				t.Fatalf("Load(%q): %v", tt.args, err)
			}
			if got != want {
				t.Fatalf("Load(%q) = %+v, want %+v", tt.args, got, want)
			}
		})
	}
}

func TestLoadRejectsWrongValuesNamingTheVariable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env, value string
		want       string
	}{
		{"PANTRYFLOW_ADDR", "8080", `PANTRYFLOW_ADDR: "8080" is not an address like :8080 or 127.0.0.1:8080`},
		{"PANTRYFLOW_DATABASE_URL", "mysql://root@localhost/pf", `PANTRYFLOW_DATABASE_URL: "mysql://root@localhost/pf" must start with postgres:// or sqlite://`},
		{"PANTRYFLOW_DATABASE_URL", "sqlite://", "PANTRYFLOW_DATABASE_URL: sqlite:// needs a file path, like sqlite://./data/pantryflow.db"},
		{"PANTRYFLOW_DATABASE_URL", "postgres://x:%zz@host/db", "PANTRYFLOW_DATABASE_URL: not a valid URL: "},
		{"PANTRYFLOW_ADMIN_EMAIL", "boss", `PANTRYFLOW_ADMIN_EMAIL: "boss" is not an email address`},
		{"PANTRYFLOW_ADMIN_EMAIL", "Boss <boss@example.com>", `PANTRYFLOW_ADMIN_EMAIL: "Boss <boss@example.com>" is not an email address`},
		{"PANTRYFLOW_ADMIN_PASSWORD", "012345678", "PANTRYFLOW_ADMIN_PASSWORD: must have at least 10 characters"},
		{"PANTRYFLOW_SESSION_SECRET", strings.Repeat("s", 31), "PANTRYFLOW_SESSION_SECRET: must have at least 32 characters"},
		{"PANTRYFLOW_SMTP_URL", "mail.example.com:25", "PANTRYFLOW_SMTP_URL: must look like smtp://user:password@host:587"},
		{"PANTRYFLOW_SMTP_URL", "http://mail.example.com", "PANTRYFLOW_SMTP_URL: must look like smtp://user:password@host:587"},
		{"PANTRYFLOW_SMTP_URL", "smtp://", "PANTRYFLOW_SMTP_URL: must look like smtp://user:password@host:587"},
		{"PANTRYFLOW_MAIL_FROM", "sales at example", `PANTRYFLOW_MAIL_FROM: "sales at example" is not an address like Kitchen Pantry <sales@example.com>`},
		{"PANTRYFLOW_BASE_URL", "pantryflow.example.com", `PANTRYFLOW_BASE_URL: "pantryflow.example.com" must be an http(s) URL like https://pantryflow.example.com`},
		{"PANTRYFLOW_BASE_URL", "ftp://pantryflow.example.com", `PANTRYFLOW_BASE_URL: "ftp://pantryflow.example.com" must be an http(s) URL like https://pantryflow.example.com`},
		{"PANTRYFLOW_HTTP_ALLOW", "crm.internal, 10.0.0.0/33", `PANTRYFLOW_HTTP_ALLOW: "10.0.0.0/33" is neither a host name, an IP address nor a CIDR`},
		{"PANTRYFLOW_HTTP_ALLOW", "crm.internal:http", `PANTRYFLOW_HTTP_ALLOW: "crm.internal:http" has the port "http"; a port is a number from 1 to 65535`},
		{"PANTRYFLOW_HTTP_ALLOW", "crm.internal:0", `PANTRYFLOW_HTTP_ALLOW: "crm.internal:0" has the port "0"`},
		{"PANTRYFLOW_HTTP_ALLOW", "https://crm.internal", `PANTRYFLOW_HTTP_ALLOW: "https://crm.internal" is a URL; write only the host`},
		{"PANTRYFLOW_HTTP_ALLOW", "fd00::5:9000:x", `PANTRYFLOW_HTTP_ALLOW: "fd00::5:9000:x" is not an IPv6 address or range; with a port, put the address in brackets like [fd00::5]:9000`},
		{"PANTRYFLOW_TRUSTED_PROXIES", "10.0.0.1, proxy.internal", `PANTRYFLOW_TRUSTED_PROXIES: "proxy.internal" is neither an IP address nor a CIDR like 10.0.0.0/8`},
		{"PANTRYFLOW_TRUSTED_PROXIES", "10.0.0.0/33", `PANTRYFLOW_TRUSTED_PROXIES: "10.0.0.0/33" is neither an IP address nor a CIDR like 10.0.0.0/8`},
		{"PANTRYFLOW_LOG_LEVEL", "loud", `PANTRYFLOW_LOG_LEVEL: "loud" is not debug, info, warn or error`},
		{"PANTRYFLOW_WORKERS", "many", `PANTRYFLOW_WORKERS: "many" is not a whole number`},
		{"PANTRYFLOW_WORKERS", "-1", `PANTRYFLOW_WORKERS: "-1" is not a whole number`},
		{"PANTRYFLOW_TIMER_INTERVAL", "soon", `PANTRYFLOW_TIMER_INTERVAL: "soon" is not a duration like 1s or 500ms`},
		{"PANTRYFLOW_TIMER_INTERVAL", "0s", `PANTRYFLOW_TIMER_INTERVAL: "0s" is not a duration like 1s or 500ms`},
		{"PANTRYFLOW_SAME_MACHINE_TAKEOVER", "yes", `PANTRYFLOW_SAME_MACHINE_TAKEOVER: "yes" must be on or off`},
		{"PANTRYFLOW_SECRET_KEY", "short", `PANTRYFLOW_SECRET_KEY: must have at least 32 characters`},
		{"PANTRYFLOW_EXPR_TIMEOUT", "5m", `PANTRYFLOW_EXPR_TIMEOUT: 5m0s is too long; at most 30s, so that a step always finishes inside its job`},
	}
	for _, tt := range tests {
		t.Run(tt.env+"="+tt.value, func(t *testing.T) {
			t.Parallel()
			_, err := load(t, map[string]string{tt.env: tt.value})
			if err == nil {
				t.Fatalf("Load accepted %s=%q", tt.env, tt.value)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("Load error = %q, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("one wrong value gave several errors: %q", err)
			}
		})
	}
}

func TestLoadReportsEveryWrongValueAtOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want []string
	}{
		{
			name: "checked values",
			env: map[string]string{"PANTRYFLOW_ADDR": "nope", "PANTRYFLOW_LOG_LEVEL": "loud",
				"PANTRYFLOW_BASE_URL": "ftp://x", "PANTRYFLOW_DATABASE_URL": "mysql://x"},
			want: []string{"PANTRYFLOW_ADDR: ", "PANTRYFLOW_DATABASE_URL: ", "PANTRYFLOW_BASE_URL: ", "PANTRYFLOW_LOG_LEVEL: "},
		},
		{
			name: "unreadable values",
			env:  map[string]string{"PANTRYFLOW_WORKERS": "many", "PANTRYFLOW_TIMER_INTERVAL": "soon"},
			want: []string{"PANTRYFLOW_WORKERS: ", "PANTRYFLOW_TIMER_INTERVAL: "},
		},
		{
			name: "unreadable and checked values together",
			env: map[string]string{"PANTRYFLOW_WORKERS": "many", "PANTRYFLOW_ADDR": "nope",
				"PANTRYFLOW_ADMIN_PASSWORD": "short"},
			want: []string{"PANTRYFLOW_WORKERS: ", "PANTRYFLOW_ADDR: ", "PANTRYFLOW_ADMIN_PASSWORD: "},
		},
		{
			name: "a flag fixes one of two wrong variables",
			env:  map[string]string{"PANTRYFLOW_ADDR": "nope", "PANTRYFLOW_LOG_LEVEL": "loud"},
			args: []string{"-addr", ":9000"},
			want: []string{"PANTRYFLOW_LOG_LEVEL: "},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := load(t, tt.env, tt.args...)
			if err == nil {
				t.Fatal("Load accepted wrong values")
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.want) {
				t.Fatalf("Load error has %d lines, want %d:\n%s", len(lines), len(tt.want), err)
			}
			for _, w := range tt.want {
				if !slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, w) }) {
					t.Errorf("Load error does not name %s:\n%s", strings.TrimSuffix(w, ": "), err)
				}
			}
		})
	}
}

func TestLoadFlagErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bad number", []string{"-workers", "many"}, `invalid value "many" for flag -workers: "many" is not a whole number`},
		{"bad duration", []string{"-timer-interval=soon"}, `invalid value "soon" for flag -timer-interval: "soon" is not a duration like 1s or 500ms`},
		{"unknown flag", []string{"-colour", "red"}, "flag provided but not defined: -colour"},
		{"checked after parsing", []string{"-addr", "nope"}, `PANTRYFLOW_ADDR: "nope" is not an address`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := load(t, nil, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load(%q) error = %v, want it to contain %q", tt.args, err, tt.want)
			}
		})
	}
	_, err := load(t, nil, "-h")
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("Load(-h) error = %v, want flag.ErrHelp", err)
	}
}

func TestAllowList(t *testing.T) {
	t.Parallel()
	tests := []struct {
		allow string
		want  []string
	}{
		{"", nil},
		{" , ,", nil},
		{"crm.internal", []string{"crm.internal"}},
		{" crm.internal , 10.0.0.0/8,,192.168.1.10 ", []string{"crm.internal", "10.0.0.0/8", "192.168.1.10"}},
		{"[::1],fd00::/8", []string{"[::1]", "fd00::/8"}},
		{"crm.internal:8443, 10.0.0.5:9000,10.0.0.0/8:443", []string{"crm.internal:8443", "10.0.0.5:9000", "10.0.0.0/8:443"}},
		{"[fd00::5]:9000,[fd00::/8]:443", []string{"[fd00::5]:9000", "[fd00::/8]:443"}},
	}
	for _, tt := range tests {
		c := config.Defaults()
		c.HTTPAllow = tt.allow
		if got := c.AllowList(); !slices.Equal(got, tt.want) {
			t.Errorf("AllowList(%q) = %q, want %q", tt.allow, got, tt.want)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("Validate with PANTRYFLOW_HTTP_ALLOW=%q: %v", tt.allow, err)
		}
	}
}

func TestTrustedProxyRanges(t *testing.T) {
	t.Parallel()
	tests := []struct {
		proxies string
		want    []string
	}{
		{"", nil},
		{" , ", nil},
		{"127.0.0.1", []string{"127.0.0.1/32"}},
		{" 10.0.0.0/8 ,192.168.1.10,::1, fd00::/8", []string{"10.0.0.0/8", "192.168.1.10/32", "::1/128", "fd00::/8"}},
		{"10.1.2.3/8", []string{"10.0.0.0/8"}},
	}
	for _, tt := range tests {
		c := config.Defaults()
		c.TrustedProxies = tt.proxies
		ranges, err := c.TrustedProxyRanges()
		if err != nil {
			t.Errorf("TrustedProxyRanges(%q): %v", tt.proxies, err)
			continue
		}
		var got []string
		for _, r := range ranges {
			got = append(got, r.String())
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("TrustedProxyRanges(%q) = %q, want %q", tt.proxies, got, tt.want)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("Validate with PANTRYFLOW_TRUSTED_PROXIES=%q: %v", tt.proxies, err)
		}
	}
}
