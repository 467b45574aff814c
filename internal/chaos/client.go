package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"
)

// client calls the API of whichever instance is up, as a load balancer in front of them would, and tries
// again — with the same Idempotency-Key — when an instance is gone or answers that it cannot serve now.
type client struct {
	token     string
	instances []*instance
	http      *http.Client
	next      atomic.Uint64
	retries   atomic.Int64 // requests sent again after a refused connection, a 503 or a key in use
}

func newClient(token string, instances []*instance) *client {
	return &client{token: token, instances: instances, http: &http.Client{
		Timeout:   15 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 16, IdleConnTimeout: 5 * time.Second},
	}}
}

// pick is the next instance that is up, round robin; nil when none is.
func (c *client) pick() *instance {
	n := uint64(len(c.instances))
	first := c.next.Add(1)
	for i := range n {
		if in := c.instances[(first+i)%n]; in.isUp() {
			return in
		}
	}
	return nil
}

// call sends a request until it gets an answer that is not about the outage (anything but a lost
// connection, 502, 503 and a 409 with Retry-After) or ctx ends, and decodes the JSON answer into out.
func (c *client) call(ctx context.Context, method, path, key string, body, out any) (int, error) {
	var enc []byte
	if body != nil {
		var err error
		if enc, err = json.Marshal(body); err != nil {
			return 0, err
		}
	}
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			c.retries.Add(1)
			select {
			case <-ctx.Done():
				return 0, fmt.Errorf("%s %s: no answer before the deadline: %w", method, path, ctx.Err())
			case <-time.After(100 * time.Millisecond):
			}
		}
		in := c.pick()
		if in == nil {
			continue
		}
		status, data, retry := c.once(ctx, in, method, path, key, enc)
		if retry {
			continue
		}
		if out != nil && len(data) > 0 {
			if err := json.Unmarshal(data, out); err != nil {
				return status, fmt.Errorf("%s %s: %d with an answer that is not JSON: %.200s", method, path, status, data)
			}
		}
		return status, nil
	}
}

func (c *client) once(ctx context.Context, in *instance, method, path, key string, body []byte) (int, []byte, bool) {
	req, err := http.NewRequestWithContext(ctx, method, "http://"+in.addr+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, true
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, nil, true
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 32<<20))
	if err != nil {
		return 0, nil, true
	}
	switch {
	case res.StatusCode == http.StatusBadGateway, res.StatusCode == http.StatusServiceUnavailable:
		return res.StatusCode, data, true
	case res.StatusCode == http.StatusConflict && res.Header.Get("Retry-After") != "":
		return res.StatusCode, data, true
	}
	return res.StatusCode, data, false
}
