package mailer

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/kitchenpantry/pantryflow/internal/clock"
	"github.com/kitchenpantry/pantryflow/internal/mailer/mailertest"
	"github.com/kitchenpantry/pantryflow/internal/store"
)

// Every way of reaching a server, against a real one: plain, STARTTLS and implicit TLS, with and without
// AUTH, and the refusals that keep mail and passwords off unencrypted or unverified connections. No
// connection is left open, whatever went wrong.
func TestSendTransports(t *testing.T) {
	t.Parallel()
	auth := mailertest.Options{Username: "pantry", Password: "s3cret"}
	withTLS := func(o mailertest.Options, mode string) mailertest.Options { o.TLS = mode; return o }
	tests := []struct {
		name    string
		server  mailertest.Options
		url     func(srv *mailertest.Server) string // srv.URL() when nil
		wantTLS bool
		wantErr string // a part of the error; "" when the mail must arrive
	}{
		{name: "plain", server: mailertest.Options{}},
		{name: "plain with AUTH PLAIN to localhost", server: auth},
		{name: "STARTTLS with AUTH", server: withTLS(auth, mailertest.TLSStartTLS), wantTLS: true},
		{name: "implicit TLS with AUTH", server: withTLS(auth, mailertest.TLSImplicit), wantTLS: true},
		{name: "STARTTLS is required by default", server: mailertest.Options{},
			url:     func(srv *mailertest.Server) string { return "smtp://" + srv.Addr },
			wantErr: "does not support STARTTLS"},
		{name: "certificates are checked unless insecure", server: withTLS(auth, mailertest.TLSStartTLS),
			url:     func(srv *mailertest.Server) string { return "smtp://pantry:s3cret@" + srv.Addr },
			wantErr: "certificate"},
		{name: "implicit TLS against a plain server", server: mailertest.Options{},
			url:     func(srv *mailertest.Server) string { return "smtps://" + srv.Addr + "?insecure=1" },
			wantErr: "TLS handshake"},
		{name: "wrong password", server: auth,
			url:     func(srv *mailertest.Server) string { return "smtp://pantry:wrong@" + srv.Addr + "?tls=none" },
			wantErr: "535"},
		{name: "no credentials where AUTH is required", server: auth,
			url:     func(srv *mailertest.Server) string { return "smtp://" + srv.Addr + "?tls=none" },
			wantErr: "MAIL FROM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := mailertest.Start(t, tt.server)
			raw := srv.URL()
			if tt.url != nil {
				raw = tt.url(srv)
			}
			cfg, err := ParseSMTPURL(raw)
			if err != nil {
				t.Fatal(err)
			}
			m := &Mailer{Config: cfg, From: "Kitchen Pantry <no-reply@kitchenpantry.example>",
				Clock: clock.NewFake(time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)), Timeout: 5 * time.Second}
			mail := &store.Mail{ID: "m", IdempotencyKey: "e:s:1", ToAddress: "jane@acme.example",
				Subject: "Grüße from Kitchen Pantry", Body: "Hallo Jane, schöne Grüße an Acme."}
			err = m.send(context.Background(), mail, nil)

			msgs := srv.Messages()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("send error = %v, want one containing %q", err, tt.wantErr)
				}
				if len(msgs) != 0 {
					t.Fatalf("the server accepted %d messages after an error", len(msgs))
				}
				if permanent(err) {
					t.Fatalf("%v is classified permanent; connection and AUTH trouble must be retried", err)
				}
			} else {
				if err != nil {
					t.Fatalf("send: %v", err)
				}
				if len(msgs) != 1 || msgs[0].TLS != tt.wantTLS {
					t.Fatalf("the server got %d messages (%+v), want 1 with TLS=%t", len(msgs), msgs, tt.wantTLS)
				}
				p, err := msgs[0].Parse()
				if err != nil {
					t.Fatal(err)
				}
				if p.Subject != mail.Subject || strings.TrimSpace(p.Body) != mail.Body {
					t.Fatalf("received subject %q body %q, want %q, %q", p.Subject, p.Body, mail.Subject, mail.Body)
				}
			}
			deadline := time.Now().Add(5 * time.Second)
			for srv.OpenConnections() != 0 {
				if time.Now().After(deadline) {
					t.Fatalf("%d connections are still open after the send", srv.OpenConnections())
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}

// Only a refusal of this mail (its recipient or its content) stops the retries; a refusal that an operator
// fixes (relaying, authentication, the sender) or a temporary one does not.
func TestPermanentRefusals(t *testing.T) {
	t.Parallel()
	smtpErr := func(code int, enhanced smtp.EnhancedCode) error {
		return &smtp.SMTPError{Code: code, EnhancedCode: enhanced, Message: "no"}
	}
	tests := []struct {
		name      string
		cmd       mailertest.Command
		reply     error
		permanent bool
	}{
		{"unknown recipient", mailertest.CmdRcpt, smtpErr(550, smtp.EnhancedCode{5, 1, 1}), true},
		{"content rejected", mailertest.CmdData, smtpErr(554, smtp.EnhancedCode{5, 6, 0}), true},
		{"relaying denied", mailertest.CmdRcpt, smtpErr(554, smtp.EnhancedCode{5, 7, 1}), false},
		{"sender refused", mailertest.CmdMail, smtpErr(553, smtp.EnhancedCode{5, 1, 8}), false},
		{"mailbox busy", mailertest.CmdRcpt, smtpErr(450, smtp.EnhancedCode{4, 2, 1}), false},
		{"try later at data", mailertest.CmdData, smtpErr(451, smtp.EnhancedCode{4, 3, 0}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := mailertest.Start(t, mailertest.Options{Refuse: func(cmd mailertest.Command, _ int) error {
				if cmd == tt.cmd {
					return tt.reply
				}
				return nil
			}})
			cfg, err := ParseSMTPURL(srv.URL())
			if err != nil {
				t.Fatal(err)
			}
			m := &Mailer{Config: cfg, From: "no-reply@kitchenpantry.example", Clock: clock.System{}, Timeout: 5 * time.Second}
			err = m.send(context.Background(), &store.Mail{IdempotencyKey: "k", ToAddress: "jane@acme.example", Subject: "s", Body: "b"}, nil)
			if err == nil {
				t.Fatal("send succeeded against a refusing server")
			}
			if got := permanent(err); got != tt.permanent {
				t.Fatalf("permanent(%v) = %t, want %t", err, got, tt.permanent)
			}
		})
	}
}
