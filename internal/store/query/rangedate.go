package query

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// rangeMatch tests one indexed value against a range query.
func rangeMatch(r *Range, k Kind, v any) bool {
	switch k {
	case KindText:
		s, _ := keywordOf(v)
		for _, tok := range analyze(s) {
			if rangeMatch(r, KindKeyword, tok) {
				return true
			}
		}
		return false
	case KindKeyword, KindNumber, KindDate, KindBool:
	default:
		return false
	}
	x, ok := orderKey(k, v, "")
	if !ok {
		return false
	}
	for _, b := range []struct {
		bound any
		test  func(int) bool
	}{
		{r.GT, func(c int) bool { return c > 0 }}, {r.GTE, func(c int) bool { return c >= 0 }},
		{r.LT, func(c int) bool { return c < 0 }}, {r.LTE, func(c int) bool { return c <= 0 }},
	} {
		if b.bound == nil {
			continue
		}
		y, ok := orderKey(k, b.bound, r.Format)
		if !ok || !b.test(compareKeys(x, y)) {
			return false
		}
	}
	return true
}

// orderKey converts a value to what a field of kind k orders by: a string
// for keywords, a float64 for numbers, dates (milliseconds) and booleans.
func orderKey(k Kind, v any, format string) (any, bool) {
	switch k {
	case KindKeyword:
		return keywordOf(v)
	case KindNumber:
		return numberOf(v)
	case KindDate:
		ms, ok := dateOf(v, format)
		return float64(ms), ok
	case KindBool:
		b, ok := boolOf(v)
		if b {
			return 1.0, ok
		}
		return 0.0, ok
	}
	return nil, false
}

// compareKeys orders two keys of the same kind; numbers before strings.
func compareKeys(a, b any) int {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		switch {
		case !ok:
			return -1
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case string:
		y, ok := b.(string)
		if !ok {
			return 1
		}
		return strings.Compare(x, y)
	}
	return 0
}

// dateLayouts are the ISO 8601 forms strict_date_optional_time accepts,
// plus a space between date and time.
var dateLayouts = []string{
	"2006-01-02T15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04Z07:00", "2006-01-02T15:04", "2006-01-02T15Z07:00", "2006-01-02T15",
	"2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999", "2006-01-02 15:04",
	"2006-01-02", "2006-01", "2006",
}

// dateOf is the epoch milliseconds of a date value: a number (epoch
// milliseconds, or seconds with format epoch_second), a string in one of
// format's Joda patterns ("yyyy-MM-dd HH:mm:ss||epoch_millis"), a numeric
// string (the same as a number, unless format names patterns only), an
// ISO 8601 string (UTC unless it names its zone) or date math from "now"
// or from a date followed by "||".
func dateOf(v any, format string) (int64, bool) { return dateIn(v, format, time.UTC) }

// dateIn is dateOf with strings that name no zone read in loc.
func dateIn(v any, format string, loc *time.Location) (int64, bool) {
	unit := 1.0
	if strings.Contains(format, "epoch_second") && !strings.Contains(format, "epoch_millis") {
		unit = 1000
	}
	switch t := v.(type) {
	case float64:
		return int64(t * unit), !math.IsNaN(t) && !math.IsInf(t, 0)
	case string:
		s := strings.TrimSpace(t)
		if ms, ok := customDate(s, format, loc); ok {
			return ms, true
		}
		epoch := format == "" || strings.Contains(format, "epoch_")
		if f, err := strconv.ParseFloat(s, 64); err == nil && epoch && !strings.ContainsAny(s, "eE") && len(s) != 4 {
			return int64(f * unit), true
		}
		if strings.HasPrefix(s, "now") {
			return dateMath(s[3:], time.Now().In(loc))
		}
		if i := strings.Index(s, "||"); i > 0 {
			base, ok := dateIn(s[:i], format, loc)
			if !ok {
				return 0, false
			}
			return dateMath(s[i+2:], time.UnixMilli(base).In(loc))
		}
		if !isoAllowed(format) {
			return 0, false
		}
		for _, layout := range dateLayouts {
			if d, err := time.ParseInLocation(layout, s, loc); err == nil {
				return d.UnixMilli(), true
			}
		}
	}
	return 0, false
}

// isoAllowed reports whether format accepts ISO 8601 strings: the default
// one does, and so do the named formats but the epoch ones.
func isoAllowed(format string) bool {
	if format == "" {
		return true
	}
	for _, f := range strings.Split(format, "||") {
		if f = strings.TrimSpace(f); namedFormats[f] && !strings.HasPrefix(f, "epoch_") {
			return true
		}
	}
	return false
}

// namedFormats are Elasticsearch's built-in date formats that the ISO
// layouts and epoch parsing cover.
var namedFormats = map[string]bool{
	"epoch_millis": true, "epoch_second": true, "strict_date_optional_time": true, "date_optional_time": true,
	"strict_date_optional_time_nanos": true, "strict_date": true, "date": true, "strict_date_time": true,
	"date_time": true, "strict_date_time_no_millis": true, "date_time_no_millis": true,
	"strict_year_month_day": true, "year_month_day": true, "strict_year_month": true, "year_month": true,
	"strict_year": true, "year": true,
}

// customDate parses s with the Joda patterns of format.
func customDate(s, format string, loc *time.Location) (int64, bool) {
	if format == "" {
		return 0, false
	}
	for _, f := range strings.Split(format, "||") {
		if f = strings.TrimSpace(f); f == "" || namedFormats[f] {
			continue
		}
		if d, err := time.ParseInLocation(jodaLayout.Replace(f), s, loc); err == nil {
			return d.UnixMilli(), true
		}
	}
	return 0, false
}

var dateMathStep = regexp.MustCompile(`^(?:([+-])(\d+)|/)([yMwdhHms])`)

// dateMath applies Elasticsearch date math ("+1d", "-2h", "/d") to t.
func dateMath(expr string, t time.Time) (int64, bool) {
	for expr != "" {
		m := dateMathStep.FindStringSubmatch(expr)
		if m == nil {
			return 0, false
		}
		expr = expr[len(m[0]):]
		if m[1] == "" {
			t = roundDown(t, m[3])
			continue
		}
		n, _ := strconv.Atoi(m[2])
		if m[1] == "-" {
			n = -n
		}
		t = addUnit(t, m[3], n)
	}
	return t.UnixMilli(), true
}

func addUnit(t time.Time, unit string, n int) time.Time {
	switch unit {
	case "y":
		return t.AddDate(n, 0, 0)
	case "M":
		return t.AddDate(0, n, 0)
	case "w":
		return t.AddDate(0, 0, 7*n)
	case "d":
		return t.AddDate(0, 0, n)
	case "h", "H":
		return t.Add(time.Duration(n) * time.Hour)
	case "m":
		return t.Add(time.Duration(n) * time.Minute)
	}
	return t.Add(time.Duration(n) * time.Second)
}

// roundDown truncates t to the start of its unit, in t's location.
func roundDown(t time.Time, unit string) time.Time {
	y, mo, d := t.Date()
	h, mi, sec := t.Clock()
	loc := t.Location()
	switch unit {
	case "y":
		return time.Date(y, 1, 1, 0, 0, 0, 0, loc)
	case "M":
		return time.Date(y, mo, 1, 0, 0, 0, 0, loc)
	case "q":
		return time.Date(y, mo-(mo-1)%3, 1, 0, 0, 0, 0, loc)
	case "w":
		day := time.Date(y, mo, d, 0, 0, 0, 0, loc)
		return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	case "d":
		return time.Date(y, mo, d, 0, 0, 0, 0, loc)
	case "h", "H":
		return time.Date(y, mo, d, h, 0, 0, 0, loc)
	case "m":
		return time.Date(y, mo, d, h, mi, 0, 0, loc)
	}
	return time.Date(y, mo, d, h, mi, sec, 0, loc)
}

// parseZone reads a time_zone: "UTC", "Z", an offset ("+01:00",
// "-0530") or an IANA name.
func parseZone(s string) (*time.Location, error) {
	switch s {
	case "", "UTC", "Z", "utc":
		return time.UTC, nil
	}
	if m := zoneOffset.FindStringSubmatch(s); m != nil {
		h, _ := strconv.Atoi(m[2])
		mi, _ := strconv.Atoi(m[3])
		off := (h*60 + mi) * 60
		if m[1] == "-" {
			off = -off
		}
		return time.FixedZone(s, off), nil
	}
	return time.LoadLocation(s)
}

var zoneOffset = regexp.MustCompile(`^([+-])(\d{2}):?(\d{2})$`)

// compileWildcard turns a wildcard pattern (* and ?, \ escaping) into an
// anchored regexp and its literal prefix.
func compileWildcard(p string) (*regexp.Regexp, string) {
	var b strings.Builder
	prefix, literal := "", true
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\' && i+1 < len(p):
			i++
			c = p[i]
		case c == '*' || c == '?':
			literal = false
			b.WriteString(map[byte]string{'*': ".*", '?': "."}[c])
			continue
		}
		if literal {
			prefix += string(c)
		}
		b.WriteString(regexp.QuoteMeta(string(c)))
	}
	return regexp.MustCompile(`(?s)^(?:` + b.String() + `)$`), prefix
}

// compileLucene translates a Lucene regular expression to an anchored Go
// one: \ escapes any character, "..." is a literal, ^ and $ are literals,
// and the optional operators ~ & @ # <n-m> are refused.
func compileLucene(p string) (*regexp.Regexp, string, error) {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch c {
		case '\\':
			if i+1 < len(p) {
				i++
				b.WriteString(regexp.QuoteMeta(p[i : i+1]))
			}
		case '"':
			end := strings.IndexByte(p[i+1:], '"')
			if end < 0 {
				return nil, "", fmt.Errorf("unclosed quote")
			}
			b.WriteString("(?:" + regexp.QuoteMeta(p[i+1:i+1+end]) + ")")
			i += end + 1
		case '[':
			end := classEnd(p, i)
			if end < 0 {
				return nil, "", fmt.Errorf("unclosed character class")
			}
			b.WriteString(p[i : end+1])
			i = end
		case '~', '&', '@', '#', '<':
			return nil, "", fmt.Errorf("operator %q is not supported", c)
		case '.', '?', '+', '*', '|', '(', ')', '{', '}':
			b.WriteByte(c)
		default:
			b.WriteString(regexp.QuoteMeta(p[i : i+1]))
		}
	}
	re, err := regexp.Compile(`(?s)^(?:` + b.String() + `)$`)
	if err != nil {
		return nil, "", err
	}
	prefix, _ := re.LiteralPrefix()
	return re, prefix, nil
}

// classEnd returns the index of the ] closing the class opened at i.
func classEnd(p string, i int) int {
	j := i + 1
	if j < len(p) && p[j] == '^' {
		j++
	}
	if j < len(p) && p[j] == ']' {
		j++
	}
	for ; j < len(p); j++ {
		switch p[j] {
		case '\\':
			j++
		case ']':
			return j
		}
	}
	return -1
}
