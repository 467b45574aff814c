package actions

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"strings"

	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

// Credentials written into a call_api step — an Authorization header, an api_key in the address — are seen
// by everyone who can read the workflow. Saving warns about them and offers to move them to a secret;
// people who may read a workflow but not change it get them masked.

// Masked is what a credential is replaced by where it must not be shown.
const Masked = "••••••"

// credentialHeaders are header names that carry credentials; any name holding one of credentialWords does
// too (X-Shopify-Access-Token, X-Api-Secret).
var credentialHeaders = map[string]bool{"authorization": true, "proxy-authorization": true, "cookie": true}

var credentialWords = []string{"token", "secret", "password", "passwd", "apikey", "api-key", "api_key", "auth", "key", "signature"}

// IsCredentialName reports whether a header or query parameter name usually carries a credential.
func IsCredentialName(name string) bool {
	n := strings.ToLower(name)
	if credentialHeaders[n] {
		return true
	}
	for _, w := range credentialWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

var templateRE = regexp.MustCompile(`\{\{.*?\}\}`)

// authSchemes are the words that introduce a credential and are not one themselves.
var authSchemes = []string{"bearer", "basic", "token", "digest", "apikey"}

// LiteralCredential reports whether a value written into a workflow holds a credential in plain text: what
// is left once the {{ }} templates and the scheme word (Bearer) are taken out is long enough to be a key.
func LiteralCredential(v string) bool {
	rest := strings.TrimSpace(templateRE.ReplaceAllString(v, ""))
	for _, scheme := range authSchemes {
		if len(rest) >= len(scheme) && strings.EqualFold(rest[:len(scheme)], scheme) {
			rest = strings.TrimSpace(rest[len(scheme):])
			break
		}
	}
	return len(rest) >= 8
}

// SuggestSecretName proposes a secret name for a credential found at where (a header or query parameter
// name) of a call to rawURL: API_EXAMPLE_COM_AUTHORIZATION.
func SuggestSecretName(rawURL, where string) string {
	host := ""
	if u, err := url.Parse(strings.TrimSpace(rawURL)); err == nil && !strings.Contains(u.Hostname(), "{{") {
		host = u.Hostname()
	}
	name := strings.Trim(secretNameRE.ReplaceAllString(strings.ToUpper(host+"_"+where), "_"), "_")
	if name == "" || name[0] < 'A' || name[0] > 'Z' {
		name = "API_" + name
	}
	if len(name) > 64 {
		name = strings.TrimRight(name[:64], "_")
	}
	return name
}

var secretNameRE = regexp.MustCompile(`[^A-Z0-9]+`)

// warnCallAPI finds the credentials written into a call_api step's parameters. Each warning's path says
// where the credential is, in the form MoveCredential takes: headers.NAME, url?PARAMETER or url@password.
func warnCallAPI(params map[string]any) []workflow.Problem {
	var ws []workflow.Problem
	rawURL, _ := params["url"].(string)
	if h, ok := params["headers"].(map[string]any); ok {
		for _, name := range apiKeys(h) {
			if v, isText := h[name].(string); isText && IsCredentialName(name) && LiteralCredential(v) {
				ws = append(ws, credentialWarning("headers."+name, "The header "+name, SuggestSecretName(rawURL, name)))
			}
		}
	}
	if u, err := url.Parse(strings.TrimSpace(rawURL)); err == nil {
		if _, hasPassword := u.User.Password(); hasPassword && LiteralCredential(u.User.String()) {
			ws = append(ws, credentialWarning("url@password", "The address's password", SuggestSecretName(rawURL, "password")))
		}
		q := u.Query()
		for _, name := range apiKeys(anyMap(q)) {
			if v := q.Get(name); IsCredentialName(name) && LiteralCredential(v) {
				ws = append(ws, credentialWarning("url?"+name, "The address's "+name, SuggestSecretName(rawURL, name)))
			}
		}
	}
	return ws
}

func credentialWarning(path, what, suggested string) workflow.Problem {
	return workflow.Problem{Path: path, Hint: suggested, Message: fmt.Sprintf(
		"%s holds a credential written into the workflow, where everyone who can read the workflow sees it; "+
			"move it to a secret (Settings → Secrets) and write {{ secrets.%s }} instead", what, suggested)}
}

// redactCallAPI masks the credentials written into a call_api step's parameters.
func redactCallAPI(params map[string]any) map[string]any {
	out := maps.Clone(params)
	if h, ok := params["headers"].(map[string]any); ok {
		masked := maps.Clone(h)
		for name, v := range h {
			if s, isText := v.(string); isText && IsCredentialName(name) && LiteralCredential(s) {
				masked[name] = Masked
			}
		}
		out["headers"] = masked
	}
	if raw, ok := params["url"].(string); ok {
		out["url"] = redactURL(raw)
	}
	return out
}

// redactURL masks a password and the credential-like query parameters of an address.
func redactURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return raw
	}
	changed := false
	if _, hasPassword := u.User.Password(); hasPassword {
		u.User = url.UserPassword(u.User.Username(), Masked)
		changed = true
	}
	q := u.Query()
	for name, values := range q {
		for i, v := range values {
			if IsCredentialName(name) && LiteralCredential(v) {
				values[i], changed = Masked, true
			}
		}
	}
	if !changed {
		return raw
	}
	u.RawQuery = q.Encode()
	out, err := url.PathUnescape(u.String()) // keep {{ }} readable
	if err != nil {
		return u.String()
	}
	return out
}

func anyMap(q url.Values) map[string]any {
	out := make(map[string]any, len(q))
	for k, v := range q {
		out[k] = v
	}
	return out
}

// MoveCredential takes the credential at where (a warning's path: headers.NAME, url?PARAMETER or
// url@password) out of a call_api step's parameters: it returns the parameters with {{ secrets.name }} in
// its place (an Authorization header keeps its scheme word: Bearer {{ secrets.name }}) and the credential.
func MoveCredential(params map[string]any, where, name string) (map[string]any, string, error) {
	out := maps.Clone(params)
	ref := "{{ secrets." + name + " }}"
	rawURL, _ := params["url"].(string)
	switch {
	case strings.HasPrefix(where, "headers."):
		header := strings.TrimPrefix(where, "headers.")
		h, _ := params["headers"].(map[string]any)
		v, isText := h[header].(string)
		if !isText || !LiteralCredential(v) {
			return nil, "", fmt.Errorf("the header %s holds no credential to move", header)
		}
		prefix, value := splitScheme(v)
		headers := maps.Clone(h)
		headers[header] = prefix + ref
		out["headers"] = headers
		return out, value, nil
	case strings.HasPrefix(where, "url?"):
		param := strings.TrimPrefix(where, "url?")
		u, err := url.Parse(strings.TrimSpace(rawURL))
		if err != nil || !LiteralCredential(u.Query().Get(param)) {
			return nil, "", fmt.Errorf("the address's %s holds no credential to move", param)
		}
		value := u.Query().Get(param)
		parts := strings.Split(u.RawQuery, "&")
		for i, p := range parts {
			if k, _, _ := strings.Cut(p, "="); k == url.QueryEscape(param) || k == param {
				parts[i] = k + "=" + ref
			}
		}
		out["url"] = strings.Replace(strings.TrimSpace(rawURL), u.RawQuery, strings.Join(parts, "&"), 1)
		return out, value, nil
	case where == "url@password":
		u, err := url.Parse(strings.TrimSpace(rawURL))
		password, has := u.User.Password()
		if err != nil || !has {
			return nil, "", errors.New("the address has no password to move")
		}
		moved := strings.Replace(strings.TrimSpace(rawURL), u.User.String()+"@", url.PathEscape(u.User.Username())+":"+ref+"@", 1)
		if moved == strings.TrimSpace(rawURL) {
			return nil, "", errors.New("the address's password could not be taken out; replace it by hand")
		}
		out["url"] = moved
		return out, password, nil
	}
	return nil, "", fmt.Errorf("there is no credential at %s", where)
}

// splitScheme splits "Bearer sk_123" into "Bearer " and "sk_123".
func splitScheme(v string) (prefix, value string) {
	t := strings.TrimSpace(v)
	for _, scheme := range authSchemes {
		if len(t) > len(scheme) && strings.EqualFold(t[:len(scheme)], scheme) && t[len(scheme)] == ' ' {
			return t[:len(scheme)+1], strings.TrimSpace(t[len(scheme):])
		}
	}
	return "", t
}
