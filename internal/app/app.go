package app

import (
	"log/slog"

	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/internal/clock"
	"github.com/kitchenpantry/pantryflow/internal/crm"
	"github.com/kitchenpantry/pantryflow/internal/engine"
	"github.com/kitchenpantry/pantryflow/internal/secrets"
	"github.com/kitchenpantry/pantryflow/internal/store"
	"github.com/kitchenpantry/pantryflow/internal/triggers"
)

// App is every use case, wired to the database and the engine.
type App struct {
	DB       *store.DB
	Engine   *engine.Engine
	Auth     *auth.Service
	CRM      *crm.Service
	Triggers *triggers.Dispatcher
	Clock    clock.Clock
	Log      *slog.Logger
	// BaseURL is the public address, for webhook URLs and links in mails.
	BaseURL string
	// Mailer delivers the outbox; the mail page sends failed and not sent mails again through it.
	Mailer MailSender
	// Secrets stores the workflow secrets sealed.
	Secrets *secrets.Vault
}

// Actor is who asks for a use case.
type Actor = auth.Principal

// Page is a window of a list.
type Page struct {
	Limit, Offset int
}

// Normalize applies the list defaults: 50 items, at most 1000.
func (p Page) Normalize() Page {
	if p.Limit <= 0 {
		p.Limit = 50
	}
	if p.Limit > 1000 {
		p.Limit = 1000
	}
	if p.Offset < 0 {
		p.Offset = 0
	}
	return p
}
