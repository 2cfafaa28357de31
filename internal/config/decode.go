package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// reader extracts typed values from the merged tree and keeps the first
// error, so decode reads like a list of keys.
type reader struct {
	tree map[string]any
	err  error
}

// value returns the value at a dotted path, nil if absent.
func (r *reader) value(path string) any {
	var node any = r.tree
	for _, part := range strings.Split(path, ".") {
		m, ok := node.(map[string]any)
		if !ok {
			return nil
		}
		node = m[part]
	}
	return node
}

func (r *reader) fail(path, expected string, got any) {
	if r.err == nil {
		r.err = fmt.Errorf("configuration key %s: invalid value %s (expected %s)", path, describe(got), expected)
	}
}

func (r *reader) boolean(path string) bool {
	b, ok := r.value(path).(bool)
	if !ok {
		r.fail(path, "a boolean", r.value(path))
	}
	return b
}

func (r *reader) str(path string) string {
	s, ok := r.value(path).(string)
	if !ok {
		r.fail(path, "a string", r.value(path))
	}
	return s
}

func (r *reader) nonEmpty(path string) string {
	s := r.str(path)
	if s == "" {
		r.fail(path, "a non-empty string", s)
	}
	return s
}

// oneOf reads a string among choices.
func (r *reader) oneOf(path string, choices ...string) string {
	s := r.str(path)
	for _, c := range choices {
		if s == c {
			return s
		}
	}
	r.fail(path, "one of "+strings.Join(choices, ", "), s)
	return choices[0]
}

// integer reads a whole number in [min, max].
func (r *reader) integer(path string, min, max int) int {
	f, ok := r.value(path).(float64)
	if !ok || f != math.Trunc(f) || f < float64(min) || f > float64(max) {
		r.fail(path, fmt.Sprintf("an integer between %d and %d", min, max), r.value(path))
		return 0
	}
	return int(f)
}

// seconds reads a positive duration written as a number of seconds.
func (r *reader) seconds(path string) time.Duration {
	f, ok := r.value(path).(float64)
	if !ok || f <= 0 || f > math.MaxInt32 {
		r.fail(path, "a positive number of seconds", r.value(path))
		return 0
	}
	return time.Duration(f * float64(time.Second))
}

// millis reads a duration in milliseconds, as Kuzzle's delays are written.
func (r *reader) millis(path string) time.Duration {
	return time.Duration(r.integer(path, 0, math.MaxInt32)) * time.Millisecond
}

// duration reads a duration as Kuzzle's ms() does: milliseconds as a
// number, or a string such as "15s", "1m", "2h", "1d" or "500ms".
func (r *reader) duration(path string) time.Duration {
	switch x := r.value(path).(type) {
	case float64:
		if x >= 0 && x == math.Trunc(x) {
			return time.Duration(x) * time.Millisecond
		}
	case string:
		if d, ok := ParseDuration(x); ok {
			return d
		}
	}
	r.fail(path, `a duration such as 15000 or "15s"`, r.value(path))
	return 0
}

// ttl reads a duration, or -1 for none.
func (r *reader) ttl(path string) time.Duration {
	if f, ok := r.value(path).(float64); ok && f == -1 {
		return -1
	}
	return r.duration(path)
}

// optionalString reads a string, "" when null.
func (r *reader) optionalString(path string) string {
	if r.value(path) == nil {
		return ""
	}
	return r.str(path)
}

// ParseDuration reads a duration the way Kuzzle's ms() library does: a
// number followed by an optional unit (ms, s, m, h, d, w, y and their long
// forms); a bare number is milliseconds.
func ParseDuration(s string) (time.Duration, bool) {
	s = strings.TrimSpace(strings.ToLower(s))
	end := 0
	for end < len(s) && (s[end] >= '0' && s[end] <= '9' || s[end] == '.' || (end == 0 && s[end] == '-')) {
		end++
	}
	n, err := strconv.ParseFloat(s[:end], 64)
	if err != nil || n < 0 {
		return 0, false
	}
	units := map[string]time.Duration{
		"": time.Millisecond, "ms": time.Millisecond, "msec": time.Millisecond, "msecs": time.Millisecond,
		"millisecond": time.Millisecond, "milliseconds": time.Millisecond,
		"s": time.Second, "sec": time.Second, "secs": time.Second, "second": time.Second, "seconds": time.Second,
		"m": time.Minute, "min": time.Minute, "mins": time.Minute, "minute": time.Minute, "minutes": time.Minute,
		"h": time.Hour, "hr": time.Hour, "hrs": time.Hour, "hour": time.Hour, "hours": time.Hour,
		"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
		"w": 7 * 24 * time.Hour, "week": 7 * 24 * time.Hour, "weeks": 7 * 24 * time.Hour,
		"y": 8766 * time.Hour, "yr": 8766 * time.Hour, "yrs": 8766 * time.Hour, "year": 8766 * time.Hour, "years": 8766 * time.Hour,
	}
	unit, ok := units[strings.TrimSpace(s[end:])]
	if !ok || n*float64(unit) > math.MaxInt64 {
		return 0, false
	}
	return time.Duration(n * float64(unit)), true
}

// size reads a byte count: a number, or a string such as "1MB" as Kuzzle's
// bytes() parses it (kb, mb, gb, tb; 1024-based).
func (r *reader) size(path string) int {
	switch x := r.value(path).(type) {
	case float64:
		if x >= 0 && x == math.Trunc(x) {
			return int(x)
		}
	case string:
		if n, ok := parseSize(x); ok {
			return n
		}
	}
	r.fail(path, `a size such as 1048576 or "1MB"`, r.value(path))
	return 0
}

func parseSize(s string) (int, bool) {
	lower := strings.ToLower(s)
	unit := 1
	for _, u := range []struct {
		suffix string
		factor int
	}{{"kb", 1 << 10}, {"mb", 1 << 20}, {"gb", 1 << 30}, {"tb", 1 << 40}} {
		if strings.Contains(lower, u.suffix) {
			unit = u.factor
			break
		}
	}
	start := strings.IndexAny(s, "0123456789")
	if start < 0 {
		return 0, false
	}
	end := start
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	n, err := strconv.Atoi(s[start:end])
	if err != nil || n > math.MaxInt/unit {
		return 0, false
	}
	return n * unit, true
}

// describe renders a bad value for an error message.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "(missing)"
	case string:
		return strconv.Quote(x)
	default:
		return fmt.Sprintf("%v", x)
	}
}

// decode turns the merged tree into a Config, checking every key it reads.
func decode(tree map[string]any, explicitWasmDir bool) (*Config, error) {
	r := &reader{tree: tree}
	const mqtt = "server.protocols.mqtt."
	cfg := &Config{
		Server: Server{
			MaxRequestSize: r.size("server.maxRequestSize"),
			Logs:           Logs{Format: r.oneOf("server.logs.format", "text", "json")},
			Port:           r.integer("server.port", 0, 65535),
			Host:           r.str("server.host"),
			HTTP: HTTP{
				Enabled:           r.boolean("server.protocols.http.enabled"),
				AllowCompression:  r.boolean("server.protocols.http.allowCompression"),
				MaxEncodingLayers: r.integer("server.protocols.http.maxEncodingLayers", 0, 100),
			},
			WebSocket: WebSocket{
				Enabled:     r.boolean("server.protocols.websocket.enabled"),
				IdleTimeout: wsIdle(r.millis("server.protocols.websocket.idleTimeout")),
			},
			TLS: r.tls("server.tls"),
			MQTT: MQTT{
				Enabled:                 r.boolean(mqtt + "enabled"),
				AllowPubSub:             r.boolean(mqtt + "allowPubSub"),
				RequireAuthentication:   r.boolean(mqtt + "requireAuthentication"),
				DevelopmentMode:         r.boolean(mqtt + "developmentMode"),
				DisconnectDelay:         time.Duration(r.integer(mqtt+"disconnectDelay", 0, math.MaxInt32)) * time.Millisecond,
				RequestTopic:            r.nonEmpty(mqtt + "requestTopic"),
				ResponseTopic:           r.nonEmpty(mqtt + "responseTopic"),
				RealtimeNotifications:   r.boolean(mqtt + "realtimeNotifications"),
				Host:                    r.str(mqtt + "server.host"),
				Port:                    r.integer(mqtt+"server.port", 0, 65535),
				MaxPendingNotifications: r.integer(mqtt+"maxPendingNotifications", 1, math.MaxInt32),
				MaxPendingBytes:         r.size(mqtt + "maxPendingBytes"),
				MaxTotalPendingBytes:    r.size(mqtt + "maxTotalPendingBytes"),
				MaxInflightRequests:     r.integer(mqtt+"maxInflightRequests", 1, math.MaxInt32),
				MaxInflightBytes:        r.size(mqtt + "maxInflightBytes"),
				MaxConnections:          r.integer(mqtt+"maxConnections", 0, math.MaxInt32),
				MaxSubscriptions:        r.integer(mqtt+"maxSubscriptions", 1, math.MaxInt32),
				MaxRetainedMessages:     r.integer(mqtt+"maxRetainedMessages", 1, math.MaxInt32),
				MaxRetainedBytes:        r.size(mqtt + "maxRetainedBytes"),
				ReceiveMaximum:          r.integer(mqtt+"receiveMaximum", 1, 65535),
				ConnectTimeout:          r.millis(mqtt + "connectTimeout"),
				IdleTimeout:             r.millis(mqtt + "idleTimeout"),
				WriteTimeout:            r.millis(mqtt + "writeTimeout"),
				ShutdownTimeout:         r.millis(mqtt + "shutdownTimeout"),
				WebSocket: MQTTWebSocket{
					Enabled: r.boolean(mqtt + "websocket.enabled"),
					Host:    r.str(mqtt + "websocket.host"),
					Port:    r.integer(mqtt+"websocket.port", 0, 65535),
					Path:    r.nonEmpty(mqtt + "websocket.path"),
					TLS:     r.tls(mqtt + "websocket.tls"),
				},
				TLS: r.tls(mqtt + "tls"),
			},
		},
		Storage: Storage{
			Engine:       r.oneOf("storage.engine", "sqlite", "postgres"),
			Postgres:     r.postgres(),
			Path:         r.nonEmpty("storage.path"),
			Synchronous:  r.oneOf("storage.synchronous", "full", "normal"),
			ScrollTTL:    r.duration("services.storageEngine.defaults.scrollTTL"),
			MaxScrollTTL: r.duration("services.storageEngine.maxScrollDuration"),
		},
		Security: Security{
			AuthToken: AuthToken{
				Algorithm:   r.oneOf("security.authToken.algorithm", "HS256", "HS384", "HS512"),
				ExpiresIn:   r.duration("security.authToken.expiresIn"),
				GracePeriod: r.duration("security.authToken.gracePeriod"),
				MaxTTL:      r.ttl("security.authToken.maxTTL"),
				Secret:      r.optionalString("security.authToken.secret"),
			},
			APIKeyMaxTTL:         r.ttl("security.apiKey.maxTTL"),
			Standard:             r.standard(),
			RestrictedProfileIDs: r.strings("security.restrictedProfileIds", r.value("security.restrictedProfileIds")),
			Local:                r.localStrategy(),
		},
		Stats: Stats{
			Enabled:  r.boolean("stats.enabled"),
			TTL:      r.seconds("stats.ttl"),
			Interval: r.seconds("stats.statsInterval"),
		},
		Limits: Limits{
			DocumentsFetchCount:            r.integer("limits.documentsFetchCount", 1, math.MaxInt32),
			DocumentsWriteCount:            r.integer("limits.documentsWriteCount", 1, math.MaxInt32),
			ConcurrentRequests:             r.integer("limits.concurrentRequests", 1, math.MaxInt32),
			LoginsPerSecond:                r.integer("limits.loginsPerSecond", 0, math.MaxInt32),
			RequestsBufferSize:             r.integer("limits.requestsBufferSize", 1, math.MaxInt32),
			RequestsBufferWarningThreshold: r.integer("limits.requestsBufferWarningThreshold", 1, math.MaxInt32),
			SubscriptionConditionsCount:    r.integer("limits.subscriptionConditionsCount", 1, math.MaxInt32),
			SubscriptionMinterms:           r.integer("limits.subscriptionMinterms", 0, math.MaxInt32),
			SubscriptionRooms:              r.integer("limits.subscriptionRooms", 0, math.MaxInt32),
			SubscriptionRoomsPerConnection: r.integer("limits.subscriptionRoomsPerConnection", 0, math.MaxInt32),
		},
	}
	cfg.Cluster = r.cluster()
	cfg.Wasm = r.decodeWasm(explicitWasmDir)
	cfg.PluginsCommon = r.decodePluginsCommon()
	if r.err != nil {
		return nil, r.err
	}
	return cfg, checkTopics(cfg.Server.MQTT, cfg.Limits)
}

// checkTopics rejects topic names no client could use and limits that
// contradict each other, as Kuzzle's checkLimitsConfig does.
func checkTopics(m MQTT, l Limits) error {
	for key, topic := range map[string]string{"requestTopic": m.RequestTopic, "responseTopic": m.ResponseTopic} {
		if strings.ContainsAny(topic, "#+") {
			return fmt.Errorf("configuration key server.protocols.mqtt.%s: invalid value %q (expected a topic name without wildcards)", key, topic)
		}
	}
	if !strings.HasPrefix(m.WebSocket.Path, "/") {
		return fmt.Errorf("configuration key server.protocols.mqtt.websocket.path: invalid value %q (expected a path starting with /)", m.WebSocket.Path)
	}
	if m.RequestTopic == m.ResponseTopic {
		return fmt.Errorf("configuration key server.protocols.mqtt.responseTopic: invalid value %q (expected a topic other than requestTopic)", m.ResponseTopic)
	}
	if l.ConcurrentRequests >= l.RequestsBufferSize {
		return fmt.Errorf("configuration key limits.concurrentRequests: invalid value %d (expected lower than limits.requestsBufferSize)", l.ConcurrentRequests)
	}
	if l.RequestsBufferWarningThreshold < l.ConcurrentRequests || l.RequestsBufferWarningThreshold > l.RequestsBufferSize {
		return fmt.Errorf("configuration key limits.requestsBufferWarningThreshold: invalid value %d (expected between limits.concurrentRequests and limits.requestsBufferSize)", l.RequestsBufferWarningThreshold)
	}
	return nil
}

// wsIdle applies Kuzzle's rule: an idle timeout under one second (or 0,
// which would disable it) becomes 60 seconds.
func wsIdle(d time.Duration) time.Duration {
	if d < time.Second {
		return 60 * time.Second
	}
	return d
}

// postgres reads storage.postgres; its URL is required with the postgres
// engine, and never quoted in errors (it may hold a password).
func (r *reader) postgres() Postgres {
	p := Postgres{
		PoolSize: r.integer("storage.postgres.poolSize", 1, 1000),
	}
	if _, ok := r.value("storage.postgres.url").(string); !ok && r.value("storage.postgres.url") != nil {
		r.fail("storage.postgres.url", "a string", "a value of another type")
		return p
	}
	p.URL = r.optionalString("storage.postgres.url")
	if p.URL == "" && r.value("storage.engine") == "postgres" {
		r.fail("storage.postgres.url", "a libpq URL (storage.engine is postgres)", "nothing")
	}
	return p
}
