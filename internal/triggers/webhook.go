package triggers

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Webhook request headers.
const (
	SignatureHeader = "X-Pantryflow-Signature"
	DeliveryHeader  = "X-Pantryflow-Delivery"
)

// SignatureTolerance is how far a signature's timestamp may be from now.
const SignatureTolerance = 5 * time.Minute

// Signature errors; each is answered with 401 and its message.
var (
	ErrNoSignature  = errors.New("the request is not signed: send " + SignatureHeader + ": t=<unix seconds>,v1=<hex HMAC-SHA256 of t.body>")
	ErrBadSignature = errors.New("the signature does not match the body; check the signing secret")
	ErrStale        = errors.New("the signature's timestamp is more than 5 minutes away from now; sign each request when you send it")
)

// Sign returns the signature header value for body at time t: HMAC-SHA256 over "<unix>.<body>".
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + mac(secret, ts, body)
}

func mac(secret, ts string, body []byte) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts))
	h.Write([]byte("."))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// Verify checks a signature header against the body with a constant-time compare and the 5-minute
// tolerance around now.
func Verify(secret, header string, body []byte, now time.Time) error {
	if header == "" {
		return ErrNoSignature
	}
	var ts string
	var sigs []string
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return fmt.Errorf("%w (could not read t= and v1= from %q)", ErrNoSignature, header)
	}
	want := []byte(mac(secret, ts, body))
	matched := false
	for _, s := range sigs {
		if hmac.Equal([]byte(s), want) {
			matched = true
		}
	}
	if !matched {
		return ErrBadSignature
	}
	if d := now.Sub(time.Unix(unix, 0)); d > SignatureTolerance || d < -SignatureTolerance {
		return ErrStale
	}
	return nil
}
