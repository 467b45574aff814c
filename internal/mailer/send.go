package mailer

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"

	gomail "github.com/wneessen/go-mail"

	"github.com/kitchenpantry/pantryflow/internal/store"
)

// MessageID is the Message-ID of the mail with the given idempotency key, without angle brackets. It is the
// same for every attempt, so a receiver can recognise a copy re-sent after a crash.
func MessageID(idempotencyKey string) string {
	sum := sha256.Sum256([]byte(idempotencyKey))
	return hex.EncodeToString(sum[:16]) + "@pantryflow"
}

// send delivers one mail over SMTP: nil means the server accepted it.
func (m *Mailer) send(ctx context.Context, mail *store.Mail) error {
	msg, err := m.message(mail)
	if err != nil {
		return err
	}
	conns := &connTracker{dial: m.Dial}
	if conns.dial == nil {
		conns.dial = (&net.Dialer{}).DialContext
	}
	client, err := m.client(conns)
	if err != nil {
		return err
	}
	err = client.DialAndSendWithContext(ctx, msg)
	// go-mail leaves the connection open when EHLO, STARTTLS or AUTH fail; it closed it (QUIT) otherwise.
	conns.closeAll()
	if err != nil {
		return fmt.Errorf("SMTP %s: %w", m.Config.Addr(), err)
	}
	return nil
}

func (m *Mailer) message(mail *store.Mail) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.From(m.From); err != nil {
		return nil, fmt.Errorf("sender %q: %w", m.From, err)
	}
	if err := msg.To(mail.ToAddress); err != nil {
		return nil, fmt.Errorf("recipient %q: %w", mail.ToAddress, err)
	}
	msg.Subject(mail.Subject)
	msg.SetMessageIDWithValue(MessageID(mail.IdempotencyKey))
	msg.SetDateWithValue(m.Clock.Now())
	msg.SetBodyString(gomail.TypeTextPlain, mail.Body)
	return msg, nil
}

// client builds a go-mail client for the configuration. It dials through conns, which also does the TLS of
// smtps:// itself, so every connection can be closed whatever go-mail did with it.
func (m *Mailer) client(conns *connTracker) (*gomail.Client, error) {
	c := m.Config
	// Insecure is documented as for tests only (Config.Insecure).
	tlsConfig := &tls.Config{ServerName: c.Host, MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.Insecure}
	timeout := m.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	opts := []gomail.Option{
		gomail.WithPort(c.Port),
		gomail.WithTimeout(timeout),
		gomail.WithTLSConfig(tlsConfig),
		gomail.WithDialContextFunc(conns.dialContext),
	}
	switch c.TLS {
	case TLSImplicit:
		conns.tls = tlsConfig
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS)) // the connection is TLS already: no STARTTLS
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if c.Username != "" {
		// The first of these the server offers. PLAIN and LOGIN send the password only over TLS or to
		// localhost (go-mail checks), so tls=none never leaks it to the network.
		opts = append(opts, gomail.WithUsername(c.Username), gomail.WithPassword(c.Password),
			gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthSCRAMSHA1,
				gomail.SMTPAuthPlain, gomail.SMTPAuthLogin, gomail.SMTPAuthCramMD5))
	}
	client, err := gomail.NewClient(c.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("SMTP client for %s: %w", c.Addr(), err)
	}
	return client, nil
}

// connTracker dials for go-mail and remembers the connections, so they can all be closed after a send.
type connTracker struct {
	dial  func(ctx context.Context, network, addr string) (net.Conn, error)
	tls   *tls.Config // implicit TLS when set
	mu    sync.Mutex
	conns []net.Conn
}

func (t *connTracker) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	conn, err := t.dial(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if t.tls != nil {
		tconn := tls.Client(conn, t.tls)
		if err := tconn.HandshakeContext(ctx); err != nil {
			_ = conn.Close()
			return nil, fmt.Errorf("TLS handshake: %w", err)
		}
		conn = tconn
	}
	t.mu.Lock()
	t.conns = append(t.conns, conn)
	t.mu.Unlock()
	return conn, nil
}

func (t *connTracker) closeAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range t.conns {
		_ = c.Close() // already closed after a QUIT: that error means nothing
	}
	t.conns = nil
}

// permanent reports whether the server refused this mail for good: a 5xx reply to RCPT (no such recipient)
// or to the message itself (content rejected). Retrying would get the same answer. Everything else is
// retried: failures to connect, speak TLS or authenticate, a refused sender, and 5.7.x replies (authentication
// required, relaying denied) are the server's configuration or ours, which an operator fixes, or passing.
func permanent(err error) bool {
	var se *gomail.SendError
	if !errors.As(err, &se) || se.IsTemp() {
		return false
	}
	switch se.Reason {
	case gomail.ErrSMTPRcptTo, gomail.ErrSMTPData, gomail.ErrSMTPDataClose:
	default:
		return false
	}
	code := se.ErrorCode()
	return code >= 500 && code <= 599 && !strings.HasPrefix(se.EnhancedStatusCode(), "5.7.")
}
