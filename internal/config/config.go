// Package config reads Pantryflow's settings from the environment and the command line, and checks them, so
// a wrong value stops start-up with a message naming the variable.
package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/netguard"
)

// Config is every setting.
type Config struct {
	Addr          string
	DatabaseURL   string
	AdminEmail    string
	AdminPassword string
	SessionSecret string
	SMTPURL       string
	MailFrom      string
	HTTPAllow     string
	BaseURL       string
	LogLevel      string
	Workers       int
	// TimerInterval is how often delays and retries are checked for being due.
	TimerInterval time.Duration
	// ExprTimeout stops one evaluation of a condition, a filter or a step's templates.
	ExprTimeout time.Duration
	// SecretKey seals the values of workflow secrets; without it no secret can be stored or used.
	SecretKey string
	// DeadAfter is how long an instance may miss its heartbeats before the others take over its jobs.
	DeadAfter time.Duration
	// SameMachineTakeover is "on" (the default) or "off": whether an instance takes over at once the work
	// of one that ran on the same machine and whose process is gone, instead of waiting DeadAfter.
	SameMachineTakeover string
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is believed (IPs or CIDRs,
	// comma-separated); with none, the connection's own address is the client's.
	TrustedProxies string
	// PasswordCost is bcrypt's cost for new password hashes; 0 means bcrypt's default (10). No variable sets
	// it: only tests lower it, to bcrypt's minimum.
	PasswordCost int
}

// setting describes one variable.
type setting struct {
	env, flag, usage string
	str              *string
	num              *int
	dur              *time.Duration
}

func (c *Config) settings() []setting {
	return []setting{
		{env: "PANTRYFLOW_ADDR", flag: "addr", usage: "address to listen on", str: &c.Addr},
		{env: "PANTRYFLOW_DATABASE_URL", flag: "database-url", usage: "postgres://… or sqlite://PATH", str: &c.DatabaseURL},
		{env: "PANTRYFLOW_ADMIN_EMAIL", flag: "admin-email", usage: "email of the first admin (used when there is no user)", str: &c.AdminEmail},
		{env: "PANTRYFLOW_ADMIN_PASSWORD", flag: "admin-password", usage: "password of the first admin", str: &c.AdminPassword},
		{env: "PANTRYFLOW_SESSION_SECRET", flag: "session-secret", usage: "secret that signs session cookies (32+ characters)", str: &c.SessionSecret},
		{env: "PANTRYFLOW_SMTP_URL", flag: "smtp-url", usage: "smtp://user:pass@host:port for sending mail", str: &c.SMTPURL},
		{env: "PANTRYFLOW_MAIL_FROM", flag: "mail-from", usage: "sender address of mails", str: &c.MailFrom},
		{env: "PANTRYFLOW_HTTP_ALLOW", flag: "http-allow", usage: "comma-separated hosts, IPs or CIDRs, each with an optional :PORT, that call_api may reach despite the SSRF guard", str: &c.HTTPAllow},
		{env: "PANTRYFLOW_TRUSTED_PROXIES", flag: "trusted-proxies", usage: "comma-separated IPs or CIDRs of the reverse proxies whose X-Forwarded-For names the client (none: the connection's address counts)", str: &c.TrustedProxies},
		{env: "PANTRYFLOW_BASE_URL", flag: "base-url", usage: "public URL, for links in mails and webhook addresses", str: &c.BaseURL},
		{env: "PANTRYFLOW_LOG_LEVEL", flag: "log-level", usage: "debug, info, warn or error", str: &c.LogLevel},
		{env: "PANTRYFLOW_WORKERS", flag: "workers", usage: "concurrent workflow workers (0: 100 on PostgreSQL, 32 on SQLite)", num: &c.Workers},
		{env: "PANTRYFLOW_TIMER_INTERVAL", flag: "timer-interval", usage: "how often due delays are checked", dur: &c.TimerInterval},
		{env: "PANTRYFLOW_SECRET_KEY", flag: "secret-key", usage: "key that encrypts workflow secrets (32+ characters; keep it safe: without it the stored secrets cannot be read)", str: &c.SecretKey},
		{env: "PANTRYFLOW_DEAD_AFTER", flag: "dead-after", usage: "how long an instance on PostgreSQL may miss its heartbeats before the others take over its work", dur: &c.DeadAfter},
		{env: "PANTRYFLOW_SAME_MACHINE_TAKEOVER", flag: "same-machine-takeover", usage: "on or off: take over at once the work of an instance that ran on this machine and whose process is gone, instead of waiting for its heartbeat", str: &c.SameMachineTakeover},
		{env: "PANTRYFLOW_EXPR_TIMEOUT", flag: "expr-timeout", usage: "time limit of one evaluation of an expression or a step's templates", dur: &c.ExprTimeout},
	}
}

// Defaults are the settings with nothing configured.
func Defaults() Config {
	return Config{
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
}

// Load reads the environment (through getenv) over the defaults, then the flags in args over that.
func Load(getenv func(string) string, fs *flag.FlagSet, args []string) (Config, error) {
	c := Defaults()
	var errs []error
	for _, s := range c.settings() {
		v := getenv(s.env)
		if v == "" {
			continue
		}
		if err := s.set(v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.env, err))
		}
	}
	for _, s := range c.settings() {
		s := s
		fs.Func(s.flag, s.usage+" (env "+s.env+")", func(v string) error { return s.set(v) })
	}
	if err := fs.Parse(args); err != nil {
		return c, errors.Join(append(errs, err)...)
	}
	// Report every wrong value at once: the unreadable ones and those Validate rejects.
	return c, errors.Join(append(errs, c.Validate())...)
}

func (s setting) set(v string) error {
	switch {
	case s.str != nil:
		*s.str = v
	case s.num != nil:
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return fmt.Errorf("%q is not a whole number", v)
		}
		*s.num = n
	case s.dur != nil:
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("%q is not a duration like 1s or 500ms", v)
		}
		*s.dur = d
	}
	return nil
}

// MaxExprTimeout is the longest PANTRYFLOW_EXPR_TIMEOUT: well inside a step's own time limit (1 minute).
const MaxExprTimeout = 30 * time.Second

// Validate checks every setting and names the variable of each wrong one.
func (c Config) Validate() error {
	var errs []error
	bad := func(env, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{env}, args...)...))
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		bad("PANTRYFLOW_ADDR", "%q is not an address like :8080 or 127.0.0.1:8080", c.Addr)
	}
	switch {
	case strings.HasPrefix(c.DatabaseURL, "postgres://"), strings.HasPrefix(c.DatabaseURL, "postgresql://"):
		if _, err := url.Parse(c.DatabaseURL); err != nil {
			bad("PANTRYFLOW_DATABASE_URL", "not a valid URL: %v", err)
		}
	case strings.HasPrefix(c.DatabaseURL, "sqlite:"):
		if strings.TrimPrefix(strings.TrimPrefix(c.DatabaseURL, "sqlite:"), "//") == "" {
			bad("PANTRYFLOW_DATABASE_URL", "sqlite:// needs a file path, like sqlite://./data/pantryflow.db")
		}
	default:
		bad("PANTRYFLOW_DATABASE_URL", "%q must start with postgres:// or sqlite://", c.DatabaseURL)
	}
	if c.AdminEmail != "" {
		if a, err := mail.ParseAddress(c.AdminEmail); err != nil || a.Address != c.AdminEmail {
			bad("PANTRYFLOW_ADMIN_EMAIL", "%q is not an email address", c.AdminEmail)
		}
	}
	if c.AdminPassword != "" && len(c.AdminPassword) < 10 {
		bad("PANTRYFLOW_ADMIN_PASSWORD", "must have at least 10 characters")
	}
	if c.SessionSecret != "" && len(c.SessionSecret) < 32 {
		bad("PANTRYFLOW_SESSION_SECRET", "must have at least 32 characters")
	}
	if c.SecretKey != "" && len(c.SecretKey) < 32 {
		bad("PANTRYFLOW_SECRET_KEY", "must have at least 32 characters")
	}
	if c.SameMachineTakeover != "on" && c.SameMachineTakeover != "off" {
		bad("PANTRYFLOW_SAME_MACHINE_TAKEOVER", "%q must be on or off", c.SameMachineTakeover)
	}
	if c.SMTPURL != "" {
		u, err := url.Parse(c.SMTPURL)
		if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
			bad("PANTRYFLOW_SMTP_URL", "must look like smtp://user:password@host:587")
		}
	}
	if _, err := mail.ParseAddress(c.MailFrom); err != nil {
		bad("PANTRYFLOW_MAIL_FROM", "%q is not an address like Kitchen Pantry <sales@example.com>", c.MailFrom)
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("PANTRYFLOW_BASE_URL", "%q must be an http(s) URL like https://pantryflow.example.com", c.BaseURL)
	}
	for _, item := range c.AllowList() {
		if err := netguard.CheckAllowList([]string{item}); err != nil {
			bad("PANTRYFLOW_HTTP_ALLOW", "%v", err)
		}
	}
	if c.DeadAfter < 2*time.Second {
		bad("PANTRYFLOW_DEAD_AFTER", "%s is too short; at least 2s, or a slow moment of the database would make live instances look dead", c.DeadAfter)
	}
	if c.ExprTimeout > MaxExprTimeout {
		bad("PANTRYFLOW_EXPR_TIMEOUT", "%s is too long; at most %s, so that a step always finishes inside its job", c.ExprTimeout, MaxExprTimeout)
	}
	if _, err := c.TrustedProxyRanges(); err != nil {
		bad("PANTRYFLOW_TRUSTED_PROXIES", "%v", err)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("PANTRYFLOW_LOG_LEVEL", "%q is not debug, info, warn or error", c.LogLevel)
	}
	return errors.Join(errs...)
}

// AllowList splits PANTRYFLOW_HTTP_ALLOW.
func (c Config) AllowList() []string {
	var out []string
	for _, s := range strings.Split(c.HTTPAllow, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// TrustedProxyRanges parses PANTRYFLOW_TRUSTED_PROXIES: each IP is a range of one address.
func (c Config) TrustedProxyRanges() ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, item := range strings.Split(c.TrustedProxies, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		if _, n, err := net.ParseCIDR(item); err == nil {
			out = append(out, n)
			continue
		}
		ip := net.ParseIP(item)
		if ip == nil {
			return nil, fmt.Errorf("%q is neither an IP address nor a CIDR like 10.0.0.0/8", item)
		}
		bits := 8 * net.IPv6len
		if ip4 := ip.To4(); ip4 != nil {
			ip, bits = ip4, 8*net.IPv4len
		}
		out = append(out, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
	}
	return out, nil
}
