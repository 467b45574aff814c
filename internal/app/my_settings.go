package app

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/store"
)

// MySettings are a user's own settings: PUT /api/users/me/settings {timezone, outOfOffice: {from, to,
// delegate}, digest}. Notify adds the choice of no mails at all ("each", "digest" or "none"); Digest is
// true exactly when Notify is "digest".
type MySettings struct {
	Timezone    string       `json:"timezone"`
	OutOfOffice *OutOfOffice `json:"outOfOffice"`
	Digest      bool         `json:"digest"`
	Notify      string       `json:"notify,omitempty"`
	// Manager is whom the user's escalations go to (set by managers on the Users page); read-only here.
	Manager string `json:"manager,omitempty"`
}

// OutOfOffice is when a user is away and who does their tasks meanwhile.
type OutOfOffice struct {
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Delegate string    `json:"delegate"`
}

// GetMySettings reads the actor's own settings.
func (a *App) GetMySettings(ctx context.Context, actor *Actor) (*MySettings, error) {
	if err := requireRep(actor, "have settings"); err != nil {
		return nil, err
	}
	u, err := a.DB.Users().User(ctx, actor.ID)
	if err != nil {
		return nil, err
	}
	s := &MySettings{Timezone: u.Timezone, Notify: u.Notify, Digest: u.Notify == store.NotifyDigest}
	if s.Notify == "" {
		s.Notify = store.NotifyEach
	}
	emails, err := a.DB.Users().EmailsByID(ctx, nonNil(u.AwayDelegateID, u.ManagerID))
	if err != nil {
		return nil, err
	}
	if u.AwayFrom != nil && u.AwayTo != nil && u.AwayDelegateID != nil {
		s.OutOfOffice = &OutOfOffice{From: u.AwayFrom.UTC(), To: u.AwayTo.UTC(), Delegate: emails[*u.AwayDelegateID]}
	}
	if u.ManagerID != nil {
		s.Manager = emails[*u.ManagerID]
	}
	return s, nil
}

func nonNil(ids ...*int64) []int64 {
	var out []int64
	for _, id := range ids {
		if id != nil {
			out = append(out, *id)
		}
	}
	return out
}

// PutMySettings stores the actor's own settings; each wrong field is named, and nothing is stored then.
func (a *App) PutMySettings(ctx context.Context, actor *Actor, in MySettings) (*MySettings, error) {
	if err := requireRep(actor, "have settings"); err != nil {
		return nil, err
	}
	var details []Detail
	in.Timezone = strings.TrimSpace(in.Timezone)
	if in.Timezone != "" {
		if _, err := time.LoadLocation(in.Timezone); err != nil {
			details = append(details, Detail{Path: "timezone", Message: fmt.Sprintf("%q is not a time zone: use a name such as Europe/Berlin or America/New_York", in.Timezone)})
		}
	}
	notify := in.Notify
	switch {
	case notify == "" && in.Digest:
		notify = store.NotifyDigest
	case notify == "":
		notify = store.NotifyEach
	case notify != store.NotifyEach && notify != store.NotifyDigest && notify != store.NotifyNone:
		details = append(details, Detail{Path: "notify", Message: fmt.Sprintf("%q is not a choice: use each, digest or none", notify)})
	case in.Digest && notify != store.NotifyDigest:
		details = append(details, Detail{Path: "digest", Message: fmt.Sprintf("digest is true but notify is %q: choose one", notify)})
	}
	settings := store.UserSettings{Timezone: in.Timezone, Notify: notify}
	if o := in.OutOfOffice; o != nil {
		switch {
		case o.From.IsZero() || o.To.IsZero():
			details = append(details, Detail{Path: "outOfOffice", Message: "give both the first day away (from) and the day back (to)"})
		case !o.To.After(o.From):
			details = append(details, Detail{Path: "outOfOffice.to", Message: "the day back must be after the first day away"})
		}
		d, err := a.DB.UserByEmail(ctx, strings.TrimSpace(o.Delegate))
		switch {
		case errors.Is(err, store.ErrNotFound):
			details = append(details, Detail{Path: "outOfOffice.delegate", Message: fmt.Sprintf("%q is not an enabled Pantryflow user: name who does your tasks while you are away", o.Delegate)})
		case err != nil:
			return nil, err
		case d.ID == actor.ID:
			details = append(details, Detail{Path: "outOfOffice.delegate", Message: "the delegate must be someone else"})
		default:
			from, to := o.From.UTC(), o.To.UTC()
			settings.AwayFrom, settings.AwayTo, settings.AwayDelegateID = &from, &to, &d.ID
		}
	}
	if len(details) > 0 {
		return nil, &ValidationError{Message: "your settings were not saved", Details: details}
	}
	if err := a.DB.Users().SetSettings(ctx, actor.ID, settings, a.Clock.Now()); err != nil {
		return nil, err
	}
	a.audit(ctx, actor, "settings saved", "user", actor.Email, nil, map[string]any{"away": settings.AwayFrom != nil})
	return a.GetMySettings(ctx, actor)
}

// SetManager records whom a user's escalations go to (managers); "" for nobody.
func (a *App) SetManager(ctx context.Context, actor *Actor, userID int64, managerEmail string) error {
	if err := requireManager(actor, "set people's managers"); err != nil {
		return err
	}
	var id *int64
	if managerEmail = strings.TrimSpace(managerEmail); managerEmail != "" {
		m, err := a.DB.UserByEmail(ctx, managerEmail)
		if errors.Is(err, store.ErrNotFound) {
			return &ValidationError{Message: "unknown manager", Details: []Detail{{Path: "manager", Message: fmt.Sprintf("%s is not an enabled Pantryflow user", managerEmail)}}}
		}
		if err != nil {
			return err
		}
		if m.ID == userID {
			return &ValidationError{Message: "a person cannot be their own manager", Details: []Detail{{Path: "manager", Message: "choose someone else"}}}
		}
		id = &m.ID
	}
	if err := a.DB.Users().SetManager(ctx, userID, id, a.Clock.Now()); err != nil {
		return err
	}
	a.audit(ctx, actor, "manager set", "user", strconv.FormatInt(userID, 10), nil, map[string]any{"manager": managerEmail})
	return nil
}

// PeopleEmails are the enabled users' emails, for choosing a delegate.
func (a *App) PeopleEmails(ctx context.Context, actor *Actor) ([]string, error) {
	if err := requireRep(actor, "see who works here"); err != nil {
		return nil, err
	}
	return a.DB.Users().EnabledEmails(ctx)
}
