package main

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/starlingmq/starling/internal/jsonx"
)

// The durability test's load: writers connections, each with window
// document:create requests in flight; the process is killed once killAfter
// creates are acknowledged, while the others are still in flight.
const (
	durabilityWriters = 4
	durabilityWindow  = 32
	killAfter         = 1500
)

// TestKillDuringWritesLosesNoAcknowledgedDocument kills starling with
// SIGKILL under a load of document:create, restarts it on the same storage
// and reads back every document whose creation was answered 200: a write
// is acknowledged only once it is on disk.
func TestKillDuringWritesLosesNoAcknowledgedDocument(t *testing.T) {
	storage := filepath.Join(t.TempDir(), "storage")
	env := []string{
		"kuzzle_server__protocols__mqtt__server__port=0",
		"kuzzle_server__protocols__mqtt__server__host=127.0.0.1",
		"kuzzle_storage__path=" + storage,
		"kuzzle_security__authToken__secret=durability-test-secret", // no warning about a generated one
	}
	p := start(t, env)
	addr := p.address(t)
	admin := dialRaw(t, addr, "durability-admin", false)
	admin.request(t, `{"controller":"index","action":"create","index":"durable","requestId":"i"}`)
	admin.request(t, `{"controller":"collection","action":"create","index":"durable","collection":"docs","requestId":"c",`+
		`"body":{"properties":{"n":{"type":"integer"}}}}`)

	acked := newAcks(killAfter)
	var wg sync.WaitGroup
	for w := range durabilityWriters {
		c := dialRaw(t, addr, "durability-writer-"+strconv.Itoa(w), false)
		wg.Go(func() { createUntilClosed(c, w, acked) })
	}
	select {
	case <-acked.reached:
	case <-time.After(wait):
		t.Fatalf("only %d creates acknowledged within %s", acked.count(), wait)
	}
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	inFlight := acked.sent.Load() - acked.count()
	wg.Wait() // the writers end when their connections close
	for range p.lines {
	}
	<-p.exited
	ids := acked.all()
	if len(ids) < killAfter || inFlight <= 0 {
		t.Fatalf("%d creates acknowledged, %d in flight at the kill: want at least %d, and some", len(ids), inFlight, killAfter)
	}

	p = start(t, env)
	log := p.startupLog(t)
	if bad := regexp.MustCompile(`level=(ERROR|WARN)`).FindString(log); bad != "" {
		t.Errorf("the store did not open cleanly after the kill:\n%s", log)
	}
	reader := dialRaw(t, listening.FindStringSubmatch(log)[1], "durability-reader", false)
	for _, missing := range readBack(t, reader, ids) {
		t.Errorf("acknowledged document lost: %s", missing)
	}
	reader.request(t, `{"controller":"document","action":"create","index":"durable","collection":"docs","requestId":"after","body":{"n":-1}}`)
	t.Logf("%d creates acknowledged, about %d in flight at the kill; all read back", len(ids), inFlight)
}

// acks collects the acknowledged creates: _id → the n written.
type acks struct {
	mu      sync.Mutex
	ids     map[string]int
	n       atomic.Int64
	sent    atomic.Int64 // requests written
	target  int64
	reached chan struct{} // closed when target creates are acknowledged
}

func newAcks(target int) *acks {
	return &acks{ids: map[string]int{}, target: int64(target), reached: make(chan struct{})}
}

func (a *acks) add(id string, n int) {
	a.mu.Lock()
	a.ids[id] = n
	a.mu.Unlock()
	if a.n.Add(1) == a.target {
		close(a.reached)
	}
}

func (a *acks) count() int64 { return a.n.Load() }

func (a *acks) all() map[string]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.ids
}

// createUntilClosed sends document:create requests on c, durabilityWindow
// in flight, and records each one answered 200, until the connection ends.
func createUntilClosed(c *rawClient, writer int, acked *acks) {
	slots := make(chan struct{}, durabilityWindow)
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		for {
			typ, body, err := c.next(time.Minute)
			if err != nil {
				return
			}
			if typ != 0x30 {
				continue
			}
			_, raw := splitPublish(body)
			var a struct {
				RequestID string `json:"requestId"`
				Status    int    `json:"status"`
				Result    struct {
					ID string `json:"_id"`
				} `json:"result"`
			}
			if jsonx.Unmarshal(raw, &a) == nil && a.Status == 200 {
				n, _ := strconv.Atoi(a.RequestID)
				acked.add(a.Result.ID, n)
			}
			<-slots
		}
	}()
	for seq := 0; ; seq++ {
		select {
		case slots <- struct{}{}:
		case <-closed:
			return
		}
		n := seq*durabilityWriters + writer
		req := fmt.Sprintf(`{"controller":"document","action":"create","index":"durable","collection":"docs","requestId":"%d","body":{"n":%d}}`, n, n)
		if _, err := c.conn.Write(publishPacket("Kuzzle/request", []byte(req))); err != nil {
			<-closed
			return
		}
		acked.sent.Add(1)
	}
}

// readBack gets every id with document:get, 64 in flight, and returns
// those not found or not holding the n written.
func readBack(t *testing.T, c *rawClient, ids map[string]int) []string {
	t.Helper()
	type sent struct {
		id string
		n  int
	}
	var order []sent
	for id, n := range ids {
		order = append(order, sent{id, n})
	}
	errc := make(chan error, 1)
	go func() {
		for i, s := range order {
			req := fmt.Sprintf(`{"controller":"document","action":"get","index":"durable","collection":"docs","_id":%q,"requestId":"%d"}`, s.id, i)
			if _, err := c.conn.Write(publishPacket("Kuzzle/request", []byte(req))); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	var missing []string
	for range order {
		typ, body, err := c.next(wait)
		if err != nil {
			t.Fatalf("reading the documents back: %v", err)
		}
		if typ != 0x30 {
			continue
		}
		_, raw := splitPublish(body)
		var a struct {
			RequestID string `json:"requestId"`
			Status    int    `json:"status"`
			Result    struct {
				Source struct {
					N int `json:"n"`
				} `json:"_source"`
			} `json:"result"`
		}
		if err := jsonx.Unmarshal(raw, &a); err != nil {
			t.Fatalf("answer %.300s: %v", raw, err)
		}
		i, err := strconv.Atoi(a.RequestID)
		if err != nil || i < 0 || i >= len(order) {
			t.Fatalf("answer to an unknown request: %.300s", raw)
		}
		if a.Status != 200 || a.Result.Source.N != order[i].n {
			missing = append(missing, fmt.Sprintf("%s (n=%d): %.200s", order[i].id, order[i].n, raw))
		}
	}
	if err := <-errc; err != nil && !errors.Is(err, net.ErrClosed) {
		t.Fatalf("sending the gets: %v", err)
	}
	return missing
}

// startupLog waits for the log line giving the MQTT address and returns
// every line logged until then.
func (p *process) startupLog(t *testing.T) string {
	t.Helper()
	var seen []string
	deadline := time.After(wait)
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				t.Fatalf("starling exited before listening:\n%s", strings.Join(seen, "\n"))
			}
			seen = append(seen, line)
			if listening.MatchString(line) {
				return strings.Join(seen, "\n")
			}
		case <-deadline:
			t.Fatalf("no listening address logged:\n%s", strings.Join(seen, "\n"))
		}
	}
}
