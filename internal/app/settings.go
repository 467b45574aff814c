package app

import (
	"context"
	"errors"

	"github.com/kitchenpantry/pantryflow/internal/auth"
	"github.com/kitchenpantry/pantryflow/internal/store"
)

// Settings: admins manage users; everyone who sees Settings (managers and admins) manages their own API
// tokens and password, and admins also see and revoke everyone's tokens.

// ListUsers lists every user (admins).
func (a *App) ListUsers(ctx context.Context, actor *Actor) ([]auth.UserInfo, error) {
	if err := requireAdmin(actor, "see the users"); err != nil {
		return nil, err
	}
	users, err := a.Auth.ListUsers(ctx)
	return users, settingsError(err)
}

// GetUser reads one user (admins).
func (a *App) GetUser(ctx context.Context, actor *Actor, id int64) (*auth.UserInfo, error) {
	if err := requireAdmin(actor, "see the users"); err != nil {
		return nil, err
	}
	u, err := a.Auth.GetUser(ctx, id)
	return u, settingsError(err)
}

// AddUser adds a user (admins). With no password one is generated and returned, to be shown once.
func (a *App) AddUser(ctx context.Context, actor *Actor, nu auth.NewUser) (*auth.UserInfo, string, error) {
	if err := requireAdmin(actor, "add users"); err != nil {
		return nil, "", err
	}
	u, generated, err := a.Auth.AddUser(ctx, nu)
	if err != nil {
		return nil, "", settingsError(err)
	}
	a.audit(ctx, actor, "user added", "user", u.Email, nil, map[string]any{"role": u.Role, "name": u.Name})
	return u, generated, nil
}

// UpdateUser changes a user's role and name (admins).
func (a *App) UpdateUser(ctx context.Context, actor *Actor, id int64, role auth.Role, name string) (*auth.UserInfo, error) {
	if err := requireAdmin(actor, "change users"); err != nil {
		return nil, err
	}
	was, _ := a.Auth.GetUser(ctx, id)
	u, err := a.Auth.UpdateUser(ctx, id, role, name)
	if err != nil {
		return nil, settingsError(err)
	}
	a.audit(ctx, actor, "user changed", "user", u.Email, userFacts(was), userFacts(u))
	return u, nil
}

// SetUserEnabled disables a user (their sessions end and their tokens stop working) or enables them again
// (admins).
func (a *App) SetUserEnabled(ctx context.Context, actor *Actor, id int64, enabled bool) (*auth.UserInfo, error) {
	if err := requireAdmin(actor, "disable or enable users"); err != nil {
		return nil, err
	}
	change := a.Auth.DisableUser
	if enabled {
		change = a.Auth.EnableUser
	}
	u, err := change(ctx, id)
	if err != nil {
		return nil, settingsError(err)
	}
	a.audit(ctx, actor, "user enabled changed", "user", u.Email, map[string]any{"enabled": !enabled}, map[string]any{"enabled": enabled})
	return u, nil
}

// ResetPassword sets a user's password, or generates one (returned, to be shown once) when password is
// empty; the user is signed out everywhere (admins). Admins change their own password the way everyone does,
// with their current one.
func (a *App) ResetPassword(ctx context.Context, actor *Actor, id int64, password string) (*auth.UserInfo, string, error) {
	if err := requireAdmin(actor, "reset passwords"); err != nil {
		return nil, "", err
	}
	if id == actor.ID {
		return nil, "", &ValidationError{Message: "this is your own account", Details: []Detail{{Path: "password",
			Message: "change your own password under Settings → Tokens → Change my password; it asks for your current one"}}}
	}
	generated, err := a.Auth.ResetPassword(ctx, id, password)
	if err != nil {
		return nil, "", settingsError(err)
	}
	u, err := a.Auth.GetUser(ctx, id)
	if err != nil {
		return nil, "", settingsError(err)
	}
	a.audit(ctx, actor, "password reset", "user", u.Email, nil, nil)
	return u, generated, nil
}

// SignOutUser ends every session of a user, on every device (admins).
func (a *App) SignOutUser(ctx context.Context, actor *Actor, id int64) (*auth.UserInfo, error) {
	if err := requireAdmin(actor, "sign users out"); err != nil {
		return nil, err
	}
	u, err := a.Auth.GetUser(ctx, id)
	if err != nil {
		return nil, settingsError(err)
	}
	if err := a.Auth.SignOutEverywhere(ctx, id); err != nil {
		return nil, err
	}
	a.audit(ctx, actor, "user signed out everywhere", "user", u.Email, nil, nil)
	return u, nil
}

// Tokens are the API tokens the tokens page shows: the actor's own, and for admins everyone's.
type Tokens struct {
	Own []auth.TokenInfo
	// All is every user's tokens, for admins only (nil otherwise).
	All []auth.TokenInfo
}

// ListTokens lists the actor's API tokens, and every token for admins.
func (a *App) ListTokens(ctx context.Context, actor *Actor) (*Tokens, error) {
	if err := requireManager(actor, "use API tokens"); err != nil {
		return nil, err
	}
	own, err := a.Auth.ListTokens(ctx, actor.ID)
	if err != nil {
		return nil, err
	}
	out := &Tokens{Own: own}
	if actor.Role.AtLeast(auth.RoleAdmin) {
		if out.All, err = a.Auth.ListAllTokens(ctx); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CreateToken makes an API token for the actor and returns it: this is the only time it can be read.
func (a *App) CreateToken(ctx context.Context, actor *Actor, name string) (string, *auth.TokenInfo, error) {
	if err := requireManager(actor, "create API tokens"); err != nil {
		return "", nil, err
	}
	token, info, err := a.Auth.IssueToken(ctx, actor.ID, name)
	if err != nil {
		return "", nil, settingsError(err)
	}
	a.audit(ctx, actor, "API token created", "token", info.Prefix, nil, map[string]any{"owner": actor.Email})
	return token, info, nil
}

// RevokeToken revokes one of the actor's tokens, or anyone's for an admin.
func (a *App) RevokeToken(ctx context.Context, actor *Actor, id int64) (*auth.TokenInfo, error) {
	if err := requireManager(actor, "revoke API tokens"); err != nil {
		return nil, err
	}
	t, err := a.Auth.RevokeToken(ctx, actor, id)
	if err != nil {
		return nil, settingsError(err)
	}
	a.audit(ctx, actor, "API token revoked", "token", t.Prefix, map[string]any{"owner": t.Owner}, nil)
	return t, nil
}

// PasswordChange is the "Change my password" form.
type PasswordChange struct {
	Current, New, Confirm string
}

// ChangeOwnPassword changes the actor's password (anyone signed in). Their other sessions end; the returned
// principal carries the new session epoch for the session that asked.
func (a *App) ChangeOwnPassword(ctx context.Context, actor *Actor, pc PasswordChange) (*Actor, error) {
	if err := requireRep(actor, "change their password"); err != nil {
		return nil, err
	}
	if pc.New != pc.Confirm {
		return nil, &ValidationError{Message: "the new passwords differ; nothing was changed", Details: []Detail{{Path: "confirm",
			Message: "type the same new password twice"}}}
	}
	p, err := a.Auth.ChangeOwnPassword(ctx, actor.ID, pc.Current, pc.New)
	if err != nil {
		return nil, settingsError(err)
	}
	a.audit(ctx, actor, "password changed", "user", actor.Email, nil, nil)
	return p, nil
}

// audit logs a change to users, passwords or tokens: who did what to whom.
// audit records what a person did in the audit log (who, when, what, before and after) and in the server's
// log. A log that cannot be written is a warning: the thing was done, and the warning says so.
func (a *App) audit(ctx context.Context, actor *Actor, action, entity, id string, before, after any) {
	by := ""
	if actor != nil {
		by = actor.Email
	}
	if a.Log != nil {
		a.Log.Info(action, "entity", entity, "id", id, "by", by)
	}
	e := &store.AuditEntry{At: a.Clock.Now(), Actor: by, Action: action, Entity: entity, EntityID: id}
	if before != nil {
		e.BeforeValue = store.MustJSON(before)
	}
	if after != nil {
		e.AfterValue = store.MustJSON(after)
	}
	if err := a.DB.AddAudit(context.WithoutCancel(ctx), e); err != nil && a.Log != nil {
		a.Log.Warn("the audit log could not be written", "action", action, "entity", entity, "id", id, "by", by, "error", err)
	}
}

// userFacts are what the audit log keeps of a user's change.
func userFacts(u *auth.UserInfo) map[string]any {
	if u == nil {
		return nil
	}
	return map[string]any{"role": u.Role, "name": u.Name}
}

func requireAdmin(actor *Actor, what string) error {
	if actor == nil || !actor.Role.AtLeast(auth.RoleAdmin) {
		return fail(ErrForbidden, "only admins can "+what)
	}
	return nil
}

// settingsError turns auth's refusals into use-case errors: a bad field is a 422 naming it, the last admin
// a 409, a missing user or token 404.
func settingsError(err error) error {
	var (
		invalid   *auth.InvalidError
		lastAdmin *auth.LastAdminError
		notFound  *auth.NotFoundError
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &invalid):
		details := make([]Detail, len(invalid.Problems))
		for i, p := range invalid.Problems {
			details[i] = Detail{Path: p.Field, Message: p.Message}
		}
		return &ValidationError{Message: "please fix what is marked; nothing was changed", Details: details}
	case errors.As(err, &lastAdmin):
		return fail(ErrConflict, lastAdmin.Error())
	case errors.As(err, &notFound):
		return fail(ErrNotFound, notFound.Message)
	case errors.Is(err, auth.ErrSessionEnded):
		return fail(ErrUnauthorized, err.Error())
	}
	return err
}
