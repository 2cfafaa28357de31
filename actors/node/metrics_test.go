package node_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// scrapeMetrics gets /metrics from the handler and returns its body.
func scrapeMetrics(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: status %d:\n%s", resp.StatusCode, body)
	}
	return string(body)
}

// metricValue reads the value of the sample named name (with its labels,
// as exposed) in a scrape; -1 when absent.
func metricValue(body, name string) float64 {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		return -1
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return -1
	}
	return v
}

// waitMetric scrapes until the sample reaches at least want: counters fed
// after a packet was handed to a client may lag its arrival.
func waitMetric(t *testing.T, h http.Handler, name string, want float64) string {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		body := scrapeMetrics(t, h)
		if metricValue(body, name) >= want {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never reached %v:\n%s", name, want, body)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestMetricsEndpoint drives a node over MQTT and reads its counters from
// the Prometheus handler the HTTP listener mounts on /metrics.
func TestMetricsEndpoint(t *testing.T) {
	srv := startServer(t, nil)
	h := srv.node.MetricsHandler()
	watcher, publisher := connect3(t, srv.addr), connect5(t, srv.addr)
	if r := request(t, watcher, `{"controller":"server","action":"now"}`); r.Status != 200 {
		t.Fatalf("server:now: %s", r.raw)
	}
	if r := request(t, watcher, `{"controller":"nope","action":"now"}`); r.Status != 404 {
		t.Fatalf("unknown controller: %s", r.raw)
	}
	s := subscribe(t, watcher, `{"equals":{"k":"m"}}`, `,"scope":"in"`)
	publish(t, publisher, `{"k":"m"}`, "")
	nextNotification(t, watcher, s.Channel)
	for _, payload := range []string{
		`{"controller":"collection","action":"create","index":"m","collection":"c"}`,
		`{"controller":"document","action":"create","index":"m","collection":"c","body":{"a":1}}`,
	} {
		if r := request(t, publisher, payload); r.Status != 200 {
			t.Fatalf("%s: %s", payload, r.raw)
		}
	}

	body := waitMetric(t, h, `starling_notifications_total{outcome="sent"}`, 1)
	exact := map[string]float64{
		`starling_connections{protocol="mqtt"}`: 2,
		`starling_rooms`:                        1,
		`starling_subscriptions`:                1,
		`starling_requests_total{action="now",controller="server",status="200"}`:         1,
		`starling_requests_total{action="",controller="",status="404"}`:                  1,
		`starling_requests_total{action="subscribe",controller="realtime",status="200"}`: 1,
		`starling_requests_total{action="publish",controller="realtime",status="200"}`:   1,
		`starling_request_duration_seconds_count{action="now",controller="server"}`:      1,
		`starling_notifications_total{outcome="dropped"}`:                                0,
		`starling_slow_client_disconnects_total`:                                         0,
	}
	for name, want := range exact {
		if got := metricValue(body, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	// An action counts as running until the dispatcher hears it ended,
	// which may come after its answer: only its presence is certain.
	if got := metricValue(body, "starling_requests_running"); got < 0 {
		t.Errorf("no starling_requests_running")
	}
	if got := metricValue(body, "starling_store_writes_total"); got < 1 {
		t.Errorf("starling_store_writes_total = %v after a document:create, want at least 1", got)
	}
	if !strings.Contains(body, "\ngo_goroutines ") {
		t.Errorf("no Go runtime metrics")
	}
}

// TestMetricsOnTheHTTPPort: GET /metrics on server.port serves the same
// metrics, in Prometheus's text format.
func TestMetricsOnTheHTTPPort(t *testing.T) {
	srv := startServer(t, nil)
	resp, err := http.Get("http://" + srv.node.HTTPAddr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if !strings.Contains(string(body), "\nstarling_connections{") && !strings.Contains(string(body), "\nstarling_rooms ") {
		t.Fatalf("GET /metrics has no Starling metric:\n%s", body)
	}
}
