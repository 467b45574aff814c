package mailer

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// TLSMode is how the connection to the SMTP server is encrypted.
type TLSMode string

// TLS modes.
const (
	// TLSStartTLS upgrades a plain connection with STARTTLS; a server that does not offer it is an error, so a
	// man in the middle cannot strip the encryption (smtp://, the default).
	TLSStartTLS TLSMode = "starttls"
	// TLSImplicit speaks TLS from the first byte (smtps://).
	TLSImplicit TLSMode = "implicit"
	// TLSNone sends in plain text (smtp://…?tls=none), for a relay on the same host and for tests. Passwords
	// still go only to localhost or over TLS: go-mail refuses PLAIN and LOGIN on other plain connections.
	TLSNone TLSMode = "none"
)

// Default ports.
const (
	DefaultSubmissionPort = 587 // smtp:// (STARTTLS)
	DefaultSMTPSPort      = 465 // smtps://
)

// Config is where and how to deliver mail. The zero Config is "no SMTP server configured": mails then stay in
// the outbox marked not sent.
type Config struct {
	Host     string
	Port     int
	Username string
	Password string
	TLS      TLSMode
	// Insecure skips the server certificate check. It is for tests against a server with a self-signed
	// certificate only: anyone on the path could read the mail and the password.
	Insecure bool
}

// Configured reports whether an SMTP server is configured.
func (c Config) Configured() bool { return c.Host != "" }

// Addr is host:port.
func (c Config) Addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

// String is the configuration as a URL with the password hidden, for logs.
func (c Config) String() string {
	if !c.Configured() {
		return "(no SMTP server configured)"
	}
	u := url.URL{Scheme: "smtp", Host: c.Addr()}
	q := url.Values{}
	switch c.TLS {
	case TLSImplicit:
		u.Scheme = "smtps"
	case TLSNone:
		q.Set("tls", "none")
	}
	if c.Insecure {
		q.Set("insecure", "1")
	}
	u.RawQuery = q.Encode()
	if c.Username != "" {
		u.User = url.UserPassword(c.Username, "xxxxx")
	}
	return u.String()
}

// ParseSMTPURL reads PANTRYFLOW_SMTP_URL:
//
//	smtp://user:pass@host:port    STARTTLS, required (port 587 by default)
//	smtps://user:pass@host:port   implicit TLS (port 465 by default)
//	?tls=none                     plain text, for a relay on the same host and for tests (smtp:// only)
//	?insecure=1                   do not check the server's certificate: for tests only
//
// User and password are optional and URL-escaped (p%40ss for p@ss). An empty URL is a zero Config: nothing is
// configured. Errors never repeat the password.
func ParseSMTPURL(raw string) (Config, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return Config{}, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // url.Error repeats the whole URL, password included
		}
		return Config{}, fmt.Errorf("SMTP URL is not a valid URL: %w", err)
	}
	var c Config
	switch u.Scheme {
	case "smtp":
		c.TLS, c.Port = TLSStartTLS, DefaultSubmissionPort
	case "smtps":
		c.TLS, c.Port = TLSImplicit, DefaultSMTPSPort
	default:
		return Config{}, fmt.Errorf("SMTP URL must start with smtp:// or smtps://, not %q", u.Scheme+":")
	}
	c.Host = u.Hostname()
	if c.Host == "" {
		return Config{}, errors.New("SMTP URL has no host, as in smtp://user:password@mail.example.com:587")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return Config{}, fmt.Errorf("SMTP URL port %q is not a number from 1 to 65535", p)
		}
		c.Port = n
	}
	if u.Path != "" && u.Path != "/" {
		return Config{}, fmt.Errorf("SMTP URL must not have a path (%q)", u.Path)
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
		if c.Username == "" {
			return Config{}, errors.New("SMTP URL has a password but no user name")
		}
	}
	if err := c.readQuery(u.Query()); err != nil {
		return Config{}, err
	}
	return c, nil
}

func (c *Config) readQuery(q url.Values) error {
	for k := range q {
		if k != "tls" && k != "insecure" {
			return fmt.Errorf("SMTP URL has an unknown parameter %q (known: tls=none, insecure=1)", k)
		}
	}
	switch v := strings.ToLower(q.Get("tls")); v {
	case "":
	case "none":
		if c.TLS == TLSImplicit {
			return errors.New("SMTP URL: smtps:// always uses TLS; write smtp://…?tls=none for a plain connection")
		}
		c.TLS = TLSNone
	case "starttls":
		if c.TLS == TLSImplicit {
			return errors.New("SMTP URL: smtps:// uses implicit TLS; write smtp:// for STARTTLS")
		}
	default:
		return fmt.Errorf("SMTP URL: tls=%q is not one of none, starttls", v)
	}
	switch v := strings.ToLower(q.Get("insecure")); v {
	case "", "0", "false":
	case "1", "true":
		c.Insecure = true
	default:
		return fmt.Errorf("SMTP URL: insecure=%q is not 1 or 0", v)
	}
	return nil
}
