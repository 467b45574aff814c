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

// MaxDeliveryID is the longest delivery id accepted.
const MaxDeliveryID = 200

// Signature errors; ErrNoSignature, ErrBadSignature and ErrStale are answered with 401, ErrDeliveryID with
// 400, each with its message.
var (
	ErrNoSignature  = errors.New("the request is not signed: send " + SignatureHeader + ": t=<unix seconds>,v2=<hex HMAC-SHA256 of t.delivery id.body>")
	ErrBadSignature = errors.New("the signature does not match the delivery id and body; check the signing secret")
	ErrStale        = errors.New("the signature's timestamp is more than 5 minutes away from now; sign each request when you send it")
	ErrDeliveryID   = errors.New("send a unique " + DeliveryHeader + " header with each delivery (1 to 200 characters, no dot when signed with v2), so a retried delivery is not run twice")
)

// Verified is what a good signature proves about a delivery.
type Verified struct {
	// DeliveryBound is true when a v2 signature matched: it covers the delivery id, so the delivery id
	// alone de-duplicates the request.
	DeliveryBound bool
	// ReplayKey is set when a v1 signature matched. A v1 signature does not cover the delivery id, so a
	// captured request could be sent again under any delivery id: the request is also de-duplicated by
	// this key, which is the same for every copy of it. It is set even when a v2 signature matched too, so
	// stripping the v2 part from a captured header does not make a copy new.
	ReplayKey string
}

// SignDelivery returns the signature header value for a delivery at time t: HMAC-SHA256 over
// "<unix>.<delivery id>.<body>" (v2). Sign each delivery when you send it.
func SignDelivery(secret string, t time.Time, deliveryID string, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v2=" + macV2(secret, ts, deliveryID, body)
}

// SignV1 returns the older signature form, HMAC-SHA256 over "<unix>.<body>" (v1), which does not cover
// the delivery id. It is still accepted, for senders that sign that way; new senders use SignDelivery.
func SignV1(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + macV1(secret, ts, body)
}

func macV1(secret, ts string, body []byte) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts))
	h.Write([]byte("."))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// macV2 is unambiguous because the timestamp is digits and a v2 delivery id has no dot: the first two dots
// end them, whatever the body holds.
func macV2(secret, ts, deliveryID string, body []byte) string {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts))
	h.Write([]byte("."))
	h.Write([]byte(deliveryID))
	h.Write([]byte("."))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// Verify checks a signature header against the delivery id and body, with constant-time compares and the
// 5-minute tolerance around now. A header may carry several v1= and v2= signatures (while a secret is
// being changed, say); one that matches is enough.
func Verify(secret, header, deliveryID string, body []byte, now time.Time) (Verified, error) {
	if header == "" {
		return Verified{}, ErrNoSignature
	}
	var ts string
	var v1, v2 []string
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			v1 = append(v1, v)
		case "v2":
			v2 = append(v2, v)
		}
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || unix < 0 || len(v1)+len(v2) == 0 {
		return Verified{}, fmt.Errorf("%w (could not read t= and v2= from %q)", ErrNoSignature, header)
	}
	if deliveryID == "" || len(deliveryID) > MaxDeliveryID || (len(v2) > 0 && strings.Contains(deliveryID, ".")) {
		return Verified{}, ErrDeliveryID
	}
	var got Verified
	if len(v2) > 0 && anyEqual(v2, macV2(secret, ts, deliveryID, body)) {
		got.DeliveryBound = true
	}
	if len(v1) > 0 {
		if want := macV1(secret, ts, body); anyEqual(v1, want) {
			got.ReplayKey = "v1:" + want
		}
	}
	if !got.DeliveryBound && got.ReplayKey == "" {
		return Verified{}, ErrBadSignature
	}
	if d := now.Sub(time.Unix(unix, 0)); d > SignatureTolerance || d < -SignatureTolerance {
		return Verified{}, ErrStale
	}
	return got, nil
}

// anyEqual reports whether one of sigs is want, comparing every one in constant time.
func anyEqual(sigs []string, want string) bool {
	matched := false
	for _, s := range sigs {
		if hmac.Equal([]byte(s), []byte(want)) {
			matched = true
		}
	}
	return matched
}
