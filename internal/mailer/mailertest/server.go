// Package mailertest runs a real SMTP server (github.com/emersion/go-smtp) on 127.0.0.1 for tests: it
// records the messages it accepts, can refuse commands, to show retries, and can drop a connection after it
// stored a message, to show a delivery interrupted after the server had the mail.
package mailertest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Command is an SMTP command a Refuse hook sees.
type Command string

// Commands.
const (
	CmdMail Command = "MAIL"
	CmdRcpt Command = "RCPT"
	CmdData Command = "DATA"
)

// TLS modes of a Server.
const (
	TLSNone     = ""         // plain text
	TLSStartTLS = "starttls" // offers STARTTLS
	TLSImplicit = "implicit" // speaks TLS from the first byte
)

// Moment is where a Server can drop a connection without an answer, as a crash or a lost network would.
type Moment string

// Moments.
const (
	// AfterMessage: the message is stored (Messages has it), but the 250 to its final dot is never sent.
	AfterMessage Moment = "after the message"
	// AtQuit: QUIT came, but the 221 is never sent (plain connections only).
	AtQuit Moment = "at QUIT"
)

// Options configure a Server.
type Options struct {
	// TLS is TLSNone, TLSStartTLS or TLSImplicit, with a self-signed certificate for 127.0.0.1 (clients need
	// insecure=1).
	TLS string
	// Username and Password, when set, make the server require AUTH PLAIN with them.
	Username, Password string
	// Refuse, when set, is asked before every MAIL, RCPT and DATA; a non-nil error (a *smtp.SMTPError for a
	// chosen reply code) refuses the command. session counts sessions from 1: one per connection, and a new
	// one after STARTTLS.
	Refuse func(cmd Command, session int) error
	// Drop, when set, is asked at each Moment; true closes the connection there without an answer.
	Drop func(at Moment, session int) bool
}

// Message is a message the server accepted.
type Message struct {
	From string
	To   []string
	Data []byte
	TLS  bool // it came over TLS (implicit or STARTTLS)
}

// Server is a running SMTP server.
type Server struct {
	Addr string // 127.0.0.1:port
	opts Options
	srv  *smtp.Server
	done chan struct{} // closed when Serve returns

	mu       sync.Mutex
	sessions int
	open     int
	messages []Message
}

// Start runs a server until the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := Listen(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// Listen runs a server on a free port of 127.0.0.1 until Close; it is Start for programs that are not tests
// (pantryflow chaos uses it as its mail sink).
func Listen(opts Options) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the test SMTP server: %w", err)
	}
	s := &Server{Addr: ln.Addr().String(), opts: opts, done: make(chan struct{})}
	ln = &countingListener{Listener: ln, s: s}
	s.srv = smtp.NewServer(smtp.BackendFunc(s.newSession))
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = true
	s.srv.ErrorLog = log.New(io.Discard, "", 0)
	switch opts.TLS {
	case TLSNone:
	case TLSStartTLS, TLSImplicit:
		cfg, err := selfSigned()
		if err != nil {
			_ = ln.Close()
			return nil, err
		}
		if opts.TLS == TLSStartTLS {
			s.srv.TLSConfig = cfg
		} else {
			ln = tls.NewListener(ln, cfg)
		}
	default:
		_ = ln.Close()
		return nil, fmt.Errorf("mailertest: unknown TLS mode %q", opts.TLS)
	}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

// Close stops the server and waits until it has.
func (s *Server) Close() {
	_ = s.srv.Close()
	<-s.done
}

// URL is the PANTRYFLOW_SMTP_URL for this server, with the credentials when it requires them.
func (s *Server) URL() string {
	u := url.URL{Scheme: "smtp", Host: s.Addr, RawQuery: "tls=none"}
	switch s.opts.TLS {
	case TLSStartTLS:
		u.RawQuery = "insecure=1"
	case TLSImplicit:
		u.Scheme, u.RawQuery = "smtps", "insecure=1"
	}
	if s.opts.Username != "" {
		u.User = url.UserPassword(s.opts.Username, s.opts.Password)
	}
	return u.String()
}

// Messages are the accepted messages, in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Sessions counts the sessions (one per connection after EHLO, and a new one after STARTTLS).
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions
}

// OpenConnections counts the connections the server has not seen closed yet. A client that forgets to
// close one keeps it above zero.
func (s *Server) OpenConnections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.open
}

// newSession starts a session per connection, and a new one after STARTTLS.
func (s *Server) newSession(c *smtp.Conn) (smtp.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions++
	_, isTLS := c.TLSConnectionState()
	if cc, ok := c.Conn().(*countingConn); ok {
		cc.session.Store(int64(s.sessions))
	}
	return &session{s: s, n: s.sessions, tls: isTLS, conn: c.Conn()}, nil
}

type session struct {
	s      *Server
	n      int
	tls    bool
	conn   net.Conn
	authed bool
	msg    Message
}

// countingListener counts the connections that are open.
type countingListener struct {
	net.Listener
	s *Server
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.s.mu.Lock()
	l.s.open++
	l.s.mu.Unlock()
	return &countingConn{Conn: c, s: l.s}, nil
}

type countingConn struct {
	net.Conn
	s       *Server
	once    sync.Once
	session atomic.Int64
}

// Read drops the connection instead of passing QUIT on when Options.Drop says so.
func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 && c.s.opts.Drop != nil && bytes.HasPrefix(bytes.ToUpper(p[:n]), []byte("QUIT")) &&
		c.s.opts.Drop(AtQuit, int(c.session.Load())) {
		_ = c.Close()
		return 0, io.EOF
	}
	return n, err
}

func (c *countingConn) Close() error {
	c.once.Do(func() {
		c.s.mu.Lock()
		c.s.open--
		c.s.mu.Unlock()
	})
	return c.Conn.Close()
}

var _ smtp.AuthSession = (*session)(nil)

func (ss *session) AuthMechanisms() []string {
	if ss.s.opts.Username == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, password string) error {
		if username != ss.s.opts.Username || password != ss.s.opts.Password {
			return smtp.ErrAuthFailed
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *session) check(cmd Command) error {
	if ss.s.opts.Username != "" && !ss.authed {
		return smtp.ErrAuthRequired
	}
	if ss.s.opts.Refuse != nil {
		return ss.s.opts.Refuse(cmd, ss.n)
	}
	return nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if err := ss.check(CmdMail); err != nil {
		return err
	}
	ss.msg = Message{From: from, TLS: ss.tls}
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if err := ss.check(CmdRcpt); err != nil {
		return err
	}
	ss.msg.To = append(ss.msg.To, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	// Read the data before refusing, as a real server does after the final dot.
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if err := ss.check(CmdData); err != nil {
		return err
	}
	ss.msg.Data = data
	ss.s.mu.Lock()
	ss.s.messages = append(ss.s.messages, ss.msg)
	ss.s.mu.Unlock()
	ss.msg = Message{}
	if ss.s.opts.Drop != nil && ss.s.opts.Drop(AfterMessage, ss.n) {
		_ = ss.conn.Close() // the reply to the final dot then goes nowhere
	}
	return nil
}

func (ss *session) Reset()        { ss.msg = Message{} }
func (ss *session) Logout() error { return nil }

// Transient is a 451 reply: try again later.
func Transient(msg string) error {
	return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: msg}
}

// Rejected is a 550 reply: the server will not take this mail.
func Rejected(msg string) error {
	return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: msg}
}

// Parsed is a received message with its headers and text body decoded.
type Parsed struct {
	Header mail.Header
	// Subject is the decoded Subject header.
	Subject string
	// Body is the text, decoded from its transfer encoding.
	Body string
}

// Parse decodes a received message.
func (m Message) Parse() (Parsed, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		return Parsed{}, fmt.Errorf("parse message: %w", err)
	}
	var dec mime.WordDecoder
	subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		return Parsed{}, fmt.Errorf("decode subject: %w", err)
	}
	var body io.Reader = msg.Body
	switch enc := strings.ToLower(msg.Header.Get("Content-Transfer-Encoding")); enc {
	case "quoted-printable":
		body = quotedprintable.NewReader(msg.Body)
	case "", "7bit", "8bit":
	default:
		return Parsed{}, errors.New("unexpected Content-Transfer-Encoding " + enc)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return Parsed{}, fmt.Errorf("read body: %w", err)
	}
	return Parsed{Header: msg.Header, Subject: subject, Body: strings.ReplaceAll(string(b), "\r\n", "\n")}, nil
}

// selfSigned is a TLS configuration with a fresh self-signed certificate for 127.0.0.1 and localhost.
func selfSigned() (*tls.Config, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("mailertest: generate key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "mailertest"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("mailertest: create certificate: %w", err)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
		MinVersion:   tls.VersionTLS12,
	}, nil
}
