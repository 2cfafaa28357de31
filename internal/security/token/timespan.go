package token

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// timespanRE is the grammar of the "ms" package Kuzzle parses expiresIn with.
var timespanRE = regexp.MustCompile(`(?i)^(-?(?:\d+)?\.?\d+) *(milliseconds?|msecs?|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w|years?|yrs?|y)?$`)

// unitOf maps an "ms" unit to its length in milliseconds.
func unitOf(u string) float64 {
	switch strings.ToLower(u) {
	case "years", "year", "yrs", "yr", "y":
		return 365.25 * 24 * 3600 * 1000
	case "weeks", "week", "w":
		return 7 * 24 * 3600 * 1000
	case "days", "day", "d":
		return 24 * 3600 * 1000
	case "hours", "hour", "hrs", "hr", "h":
		return 3600 * 1000
	case "minutes", "minute", "mins", "min", "m":
		return 60 * 1000
	case "seconds", "second", "secs", "sec", "s":
		return 1000
	}
	return 1 // milliseconds, msecs, ms, or no unit
}

// ParseTimespan reads an expiresIn argument as Kuzzle does: a number of
// milliseconds or an "ms" string ("1h", "2 days", "500"). "-1" is Never.
// It reports false where Kuzzle's parser yields nothing or zero: Kuzzle then
// answers api.assert.invalid_argument (see InvalidExpiresIn).
func ParseTimespan(s string) (time.Duration, bool) {
	if len(s) > 100 {
		return 0, false
	}
	m := timespanRE.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, false
	}
	d := MillisDuration(n * unitOf(m[2]))
	return d, d != 0
}

// MillisDuration converts a number of milliseconds (an expiresIn given as a
// JSON number) to a duration; -1 is Never. Fractions of a millisecond are
// kept, as Kuzzle keeps them before rounding the JWT's exp down to seconds.
func MillisDuration(ms float64) time.Duration {
	if ms == -1 {
		return Never
	}
	if ms > math.MaxInt64/float64(time.Millisecond) {
		return math.MaxInt64
	}
	if ms < math.MinInt64/float64(time.Millisecond) {
		return math.MinInt64
	}
	return time.Duration(ms * float64(time.Millisecond))
}
