package mailer

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"

	"github.com/kitchenpantry/pantryflow/internal/store"
)

// MessageID is the Message-ID of the mail with the given idempotency key, without angle brackets. It is the
// same for every attempt, so a receiver can recognise a copy re-sent after a crash.
func MessageID(idempotencyKey string) string {
	sum := sha256.Sum256([]byte(idempotencyKey))
	return hex.EncodeToString(sum[:16]) + "@pantryflow"
}

// conversation is what one SMTP conversation reports while it runs: how far it got, and the two moments that
// decide whether the server may have the mail.
type conversation struct {
	// stage is the furthest stage reached (store.StageConnect … store.StageAccepted).
	stage string
	// beforeDot runs when the message is written and only its final dot is left: until then the server
	// cannot deliver it. An error ends the conversation there, with nothing delivered.
	beforeDot func() error
	// accepted runs right after the server's 250 to the message, before QUIT and before anything else.
	accepted func() error
}

// sendError is a conversation that failed: the stage and the command it failed at, and the server's reply
// (a *textproto.Error) or what happened to the connection.
type sendError struct {
	addr    string
	stage   string
	command string
	err     error
	// unanswered: the final dot went out and no answer came back, so the server may have the mail.
	unanswered bool
}

func (e *sendError) Error() string { return fmt.Sprintf("SMTP %s: %s: %v", e.addr, e.command, e.err) }
func (e *sendError) Unwrap() error { return e.err }

// unrecordedError says the server accepted the mail but marking it sent failed: a later attempt will send
// it again.
type unrecordedError struct{ err error }

func (e *unrecordedError) Error() string {
	return "the mail server accepted the mail, but it could not be marked sent: " + e.err.Error()
}
func (e *unrecordedError) Unwrap() error { return e.err }

// send delivers one mail over SMTP and reports its progress to conv (nil: no one listens). nil means the
// server accepted it and conv.accepted succeeded.
func (m *Mailer) send(ctx context.Context, mail *store.Mail, conv *conversation) error {
	if conv == nil {
		conv = &conversation{}
	}
	conv.stage = store.StageConnect
	msg, err := m.message(mail)
	if err != nil {
		return err
	}
	from, err := msg.GetSender(false)
	if err != nil {
		return fmt.Errorf("sender %q: %w", m.From, err)
	}
	rcpts, err := msg.GetRecipients()
	if err != nil {
		return fmt.Errorf("recipient %q: %w", mail.ToAddress, err)
	}
	conns := &connTracker{dial: m.Dial}
	if conns.dial == nil {
		conns.dial = (&net.Dialer{}).DialContext
	}
	client, err := m.client(conns)
	if err != nil {
		return err
	}
	// go-mail leaves the connection open when EHLO, STARTTLS or AUTH fail, and a dropped conversation has no
	// QUIT: every connection is closed at the end, and at once when ctx ends.
	defer conns.closeAll()
	defer context.AfterFunc(ctx, conns.closeAll)()

	sc, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return &sendError{addr: m.Config.Addr(), stage: conv.stage, command: "connect", err: err}
	}
	return m.talk(sc, msg, from, rcpts, conv)
}

// talk has the conversation on a connected client, from MAIL FROM to QUIT, reporting to conv.
func (m *Mailer) talk(sc *smtp.Client, msg *gomail.Msg, from string, rcpts []string, conv *conversation) error {
	fail := func(command string, err error) *sendError {
		return &sendError{addr: m.Config.Addr(), stage: conv.stage, command: command, err: err}
	}
	conv.stage = store.StageMail
	if err := sc.Mail(from); err != nil {
		return fail("MAIL FROM", err)
	}
	conv.stage = store.StageRcpt
	for _, rcpt := range rcpts {
		if err := sc.Rcpt(rcpt); err != nil {
			return fail("RCPT TO", err)
		}
	}
	conv.stage = store.StageData
	w, err := sc.Data()
	if err != nil {
		return fail("DATA", err)
	}
	if _, err := msg.WriteTo(w); err != nil {
		return fail("the message", err)
	}
	if conv.beforeDot != nil {
		if err := conv.beforeDot(); err != nil {
			// Returning closes the connection without the final dot: the server discards the message.
			return err
		}
		if err := sc.UpdateDeadline(m.timeout()); err != nil {
			return fail("the message", err)
		}
	}
	if err := w.Close(); err != nil {
		var reply *textproto.Error
		se := fail("end of the message", err)
		se.unanswered = !errors.As(err, &reply)
		return se
	}
	conv.stage = store.StageAccepted
	if conv.accepted != nil {
		if err := conv.accepted(); err != nil {
			return &unrecordedError{err: err}
		}
	}
	// The mail is accepted and recorded: a QUIT that goes wrong changes nothing.
	_ = sc.Quit()
	return nil
}

func (m *Mailer) timeout() time.Duration {
	if m.Timeout <= 0 {
		return DefaultTimeout
	}
	return m.Timeout
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
	opts := []gomail.Option{
		gomail.WithPort(c.Port),
		gomail.WithTimeout(m.timeout()),
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
	var se *sendError
	if !errors.As(err, &se) || (se.stage != store.StageRcpt && se.stage != store.StageData) {
		return false
	}
	var reply *textproto.Error
	if !errors.As(se.err, &reply) {
		return false
	}
	return reply.Code >= 500 && reply.Code <= 599 && !strings.HasPrefix(reply.Msg, "5.7.")
}

// unanswered reports whether err is a conversation that ended after the final dot without a reply: the
// server may have the mail.
func unanswered(err error) bool {
	var se *sendError
	return errors.As(err, &se) && se.unanswered
}
