package api

import (
	"strconv"
	"strings"
	"time"

	"github.com/starlingmq/starling/internal/kerror"
)

// Scroll reads the scroll argument as Kuzzle's getScrollTTLParam does: a
// duration string such as "30s" when set (0 and "" when not), at most max
// when max is positive (services.storage.scroll_duration_too_great).
func (r *Request) Scroll(max time.Duration) (time.Duration, string, *kerror.Error) {
	switch string(r.Arg("scroll")) {
	case "", "null", "false", "0", "-0", `""`:
		return 0, "", nil
	}
	text, _, kerr := r.String("scroll")
	if kerr != nil {
		return 0, "", kerr
	}
	ttl, ok := parseDuration(text)
	if !ok {
		return 0, "", kerror.New("api.assert.invalid_argument", "scroll", `a duration such as "30s"`)
	}
	if max > 0 && ttl > max {
		return 0, "", kerror.New("services.storage.scroll_duration_too_great", text)
	}
	return ttl, text, nil
}

// durationUnits are the units of Elasticsearch's time values that Kuzzle's
// ms() also reads; a bare number is milliseconds, as ms() reads it.
var durationUnits = map[string]time.Duration{
	"": time.Millisecond, "ms": time.Millisecond, "s": time.Second, "m": time.Minute,
	"h": time.Hour, "d": 24 * time.Hour,
}

// parseDuration reads a scroll duration such as "30s" or "1m".
func parseDuration(s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	end := 0
	for end < len(s) && (s[end] >= '0' && s[end] <= '9' || s[end] == '.') {
		end++
	}
	n, err := strconv.ParseFloat(s[:end], 64)
	unit, ok := durationUnits[strings.ToLower(strings.TrimSpace(s[end:]))]
	if err != nil || !ok || n*float64(unit) > float64(1<<62) {
		return 0, false
	}
	return time.Duration(n * float64(unit)), true
}
