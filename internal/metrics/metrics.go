package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// namespace prefixes every metric name.
const namespace = "starling"

// Metrics holds a server's Prometheus collectors and their registry. Its
// methods are safe for concurrent use.
type Metrics struct {
	registry      *prometheus.Registry
	requests      *prometheus.CounterVec
	latency       *prometheus.HistogramVec
	notifications *prometheus.CounterVec
	sent, dropped prometheus.Counter
	wasmCalls     *prometheus.CounterVec
	wasmErrors    *prometheus.CounterVec
	wasmLatency   *prometheus.HistogramVec
}

// New returns the metrics of one server: the Go runtime and process
// collectors, the request and notification counters, and the gauges and
// counters source reports at each scrape (nil: none).
func New(source Source) *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "requests_total",
			Help: "API requests answered, by controller, action and status (controller and action are empty for requests refused before routing).",
		}, []string{"controller", "action", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "request_duration_seconds",
			Help:    "Time from a request's arrival at the dispatcher to its answer, by controller and action.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"controller", "action"}),
		notifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "notifications_total",
			Help: `Realtime notifications handed to subscribers ("sent") or not delivered because the subscriber was gone or disconnected for falling behind ("dropped").`,
		}, []string{"outcome"}),
	}
	m.wasmCalls, m.wasmErrors, m.wasmLatency = wasmCollectors()
	m.sent = m.notifications.WithLabelValues("sent")
	m.dropped = m.notifications.WithLabelValues("dropped")
	m.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.latency, m.notifications,
		m.wasmCalls, m.wasmErrors, m.wasmLatency,
	)
	if source != nil {
		m.registry.MustRegister(newSnapshotCollector(source))
	}
	return m
}

// Handler serves the registry's metrics in Prometheus's exposition format
// (GET /metrics). A failing source leaves its metrics out and the others in.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      m.registry,
	})
}

// ObserveRequest counts one answered request and its latency. It is the
// dispatcher's Observer.
func (m *Metrics) ObserveRequest(controller, action string, status int, elapsed time.Duration) {
	m.requests.WithLabelValues(controller, action, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(controller, action).Observe(elapsed.Seconds())
}

// Delivered counts notifications handed to subscribers. It is half of the
// channels' Counter.
func (m *Metrics) Delivered(n int) {
	if n > 0 {
		m.sent.Add(float64(n))
	}
}

// Dropped counts notifications not delivered: their subscriber was gone.
// It is the other half of the channels' Counter.
func (m *Metrics) Dropped(n int) {
	if n > 0 {
		m.dropped.Add(float64(n))
	}
}

// wasmCollectors returns the Wasm calls and errors counters and latency
// histogram, labelled by module (a file name of the operator's module
// directory) and kind (controller or filter).
func wasmCollectors() (calls, errs *prometheus.CounterVec, latency *prometheus.HistogramVec) {
	labels := []string{"module", "kind"}
	calls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "wasm_calls_total",
		Help: "Calls into Wasm modules, by module and kind (controller action or filter test).",
	}, labels)
	errs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "wasm_errors_total",
		Help: "Calls into Wasm modules that ended in an error (the guest's own, a trap, a timeout), by module and kind.",
	}, labels)
	latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "wasm_call_duration_seconds",
		Help:    "Duration of calls into Wasm modules, waiting for a free instance included, by module and kind.",
		Buckets: []float64{.00001, .000025, .00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, labels)
	return calls, errs, latency
}

// WasmCall counts one call into a Wasm module, its error if any, and its
// duration. It is the Wasm host's Observer.
func (m *Metrics) WasmCall(module, kind string, elapsed time.Duration, err error) {
	m.wasmCalls.WithLabelValues(module, kind).Inc()
	if err != nil {
		m.wasmErrors.WithLabelValues(module, kind).Inc()
	}
	m.wasmLatency.WithLabelValues(module, kind).Observe(elapsed.Seconds())
}
