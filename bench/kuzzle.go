package main

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/starlingmq/starling/bench/internal/mqttc"
)

// Kuzzle's default MQTT topics.
const (
	requestTopic  = "Kuzzle/request"
	responseTopic = "Kuzzle/response"
)

// request sends one Kuzzle request and returns its response payload; no
// other message may be waiting on c.
func request(c *mqttc.Conn, payload []byte, timeout time.Duration) ([]byte, error) {
	_ = c.SetDeadline(time.Now().Add(timeout))
	defer c.SetDeadline(time.Time{})
	if err := c.Publish(requestTopic, payload); err != nil {
		return nil, err
	}
	for {
		topic, p, err := c.ReadPublish()
		if err != nil {
			return nil, fmt.Errorf("read response: %w", err)
		}
		if string(topic) == responseTopic {
			if !ok(p) {
				return p, fmt.Errorf("request failed: %s", p)
			}
			return bytes.Clone(p), nil
		}
	}
}

// ok reports whether a Kuzzle response has status 200.
func ok(resp []byte) bool { return bytes.Contains(resp, []byte(`"status":200`)) }

// stringField extracts a string field from JSON without decoding it all;
// good enough for the server's own identifiers (no escapes).
func stringField(doc []byte, name string) string {
	key := []byte(`"` + name + `":"`)
	i := bytes.Index(doc, key)
	if i < 0 {
		return ""
	}
	rest := doc[i+len(key):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return ""
	}
	return string(rest[:j])
}

// intField extracts a non-negative integer field from JSON.
func intField(doc []byte, name string) (int64, bool) {
	key := []byte(`"` + name + `":`)
	i := bytes.Index(doc, key)
	if i < 0 {
		return 0, false
	}
	rest := doc[i+len(key):]
	j := 0
	for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
		j++
	}
	n, err := strconv.ParseInt(string(rest[:j]), 10, 64)
	return n, err == nil
}

// pipeline sends n requests built by build on c with at most window
// unanswered, and returns how many failed. It needs c to itself.
func pipeline(c *mqttc.Conn, n, window int, timeout time.Duration, build func(i int) []byte) (failed int, err error) {
	_ = c.SetDeadline(time.Now().Add(timeout))
	defer c.SetDeadline(time.Time{})
	slots := make(chan struct{}, window)
	stop := make(chan struct{})
	var bad atomic.Int64
	var wg sync.WaitGroup
	var readErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		for got := 0; got < n; {
			_, p, err := c.ReadPublish()
			if err != nil && !errors.Is(err, mqttc.ErrMalformedPublish) {
				readErr = fmt.Errorf("after %d of %d responses: %w", got, n, err)
				close(stop)
				return
			}
			if err != nil || !ok(p) {
				bad.Add(1)
			}
			got++
			<-slots
		}
	}()
	for i := range n {
		select {
		case slots <- struct{}{}:
		case <-stop:
			wg.Wait()
			return int(bad.Load()), readErr
		}
		if err := c.Publish(requestTopic, build(i)); err != nil {
			_ = c.SetDeadline(time.Now()) // stops the reader
			wg.Wait()
			return int(bad.Load()), err
		}
	}
	wg.Wait()
	return int(bad.Load()), readErr
}

var errNoChannel = errors.New("realtime:subscribe returned no channel")
