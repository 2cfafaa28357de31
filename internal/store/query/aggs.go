package query

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/store/mapping"
)

// Aggregation is one parsed aggregation.
type Aggregation struct {
	// Name is the aggregation's name in the request and the result.
	Name string
	// Type is terms, min, max, avg, sum, value_count, cardinality, range
	// or date_histogram.
	Type  string
	Field Field
	// Size is the number of terms buckets (default 10).
	Size int
	// ByKey orders terms buckets by key instead of count (the default,
	// descending, ties by ascending key); Asc makes the order ascending.
	ByKey, Asc bool
	// Ranges are a range aggregation's buckets.
	Ranges []AggRange
	// Calendar is a date_histogram's calendar unit (minute, hour, day,
	// week, month, quarter, year); Fixed its fixed interval otherwise.
	Calendar string
	Fixed    time.Duration
	// TimeZone is where a date_histogram's calendar intervals start and
	// its keys are written; nil is UTC.
	TimeZone *time.Location
	// Format formats date keys (Joda-like: yyyy-MM-dd'T'HH:mm:ss).
	Format string
	// MinDocCount drops smaller buckets (terms default 1, histogram 0).
	MinDocCount int
	// Sub are sub-aggregations, computed per bucket.
	Sub []Aggregation
}

// AggRange is one bucket of a range aggregation; nil bounds are open.
type AggRange struct {
	Key      string
	From, To *float64
}

// aggTypes are the supported aggregation types.
var aggTypes = map[string]bool{
	"terms": true, "min": true, "max": true, "avg": true, "sum": true, "value_count": true,
	"cardinality": true, "range": true, "date_histogram": true,
}

// parseAggregations reads {name: {type: {...}, aggs: {...}}, ...}.
func parseAggregations(v any, path string, m *mapping.Mappings) ([]Aggregation, error) {
	if v == nil {
		return nil, nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, invalid(path, "an object of named aggregations")
	}
	out := make([]Aggregation, 0, len(obj))
	for _, name := range sortedKeys(obj) {
		a, err := parseAggregation(obj[name], path+"."+name, m)
		if err != nil {
			return nil, err
		}
		a.Name = name
		out = append(out, a)
	}
	return out, nil
}

func parseAggregation(v any, path string, m *mapping.Mappings) (Aggregation, error) {
	var a Aggregation
	obj, ok := v.(map[string]any)
	if !ok {
		return a, invalid(path, "an aggregation object")
	}
	var body map[string]any
	for _, k := range sortedKeys(obj) {
		switch {
		case k == "aggs" || k == "aggregations":
			sub, err := parseAggregations(obj[k], path+"."+k, m)
			if err != nil {
				return a, err
			}
			a.Sub = sub
		case k == "meta":
		case !aggTypes[k]:
			return a, kerror.New("services.storage.invalid_query_keyword", path+"."+k)
		case a.Type != "":
			return a, invalid(path, "one aggregation type")
		default:
			a.Type = k
			if body, ok = obj[k].(map[string]any); !ok {
				return a, invalid(path+"."+k, "an object")
			}
		}
	}
	if a.Type == "" {
		return a, invalid(path, "an aggregation type")
	}
	if a.Sub != nil && !bucketing(a.Type) {
		return a, invalid(path, "sub-aggregations only under terms, range or date_histogram")
	}
	return a, a.parseBody(body, path+"."+a.Type, m)
}

func bucketing(t string) bool { return t == "terms" || t == "range" || t == "date_histogram" }

func (a *Aggregation) parseBody(body map[string]any, path string, m *mapping.Mappings) error {
	allowed := map[string][]string{
		"terms":          {"field", "size", "order", "min_doc_count"},
		"range":          {"field", "ranges", "keyed"},
		"date_histogram": {"field", "calendar_interval", "fixed_interval", "interval", "format", "min_doc_count", "time_zone"},
	}[a.Type]
	if allowed == nil {
		allowed = []string{"field", "precision_threshold"}
	}
	if err := options(body, path, allowed...); err != nil {
		return err
	}
	name, ok := body["field"].(string)
	if !ok || name == "" {
		return invalid(path+".field", "a field name")
	}
	a.Field = resolveField(m, name)
	a.Format, _ = body["format"].(string)
	switch a.Type {
	case "terms":
		return a.parseTerms(body, path)
	case "range":
		return a.parseRanges(body, path)
	case "date_histogram":
		return a.parseInterval(body, path)
	}
	return nil
}

func (a *Aggregation) parseTerms(body map[string]any, path string) error {
	var err error
	if a.Size, err = count(body["size"], path+".size", 10); err != nil {
		return err
	}
	if a.MinDocCount, err = count(body["min_doc_count"], path+".min_doc_count", 1); err != nil {
		return err
	}
	order, ok := body["order"].(map[string]any)
	if body["order"] == nil {
		return nil
	}
	if !ok || len(order) != 1 {
		return invalid(path+".order", `{"_count": "asc"|"desc"} or {"_key": "asc"|"desc"}`)
	}
	for k, dir := range order {
		if (k != "_count" && k != "_key" && k != "_term") || (dir != "asc" && dir != "desc") {
			return invalid(path+".order", `{"_count": "asc"|"desc"} or {"_key": "asc"|"desc"}`)
		}
		a.ByKey = k != "_count"
		a.Asc = dir == "asc"
	}
	return nil
}

func (a *Aggregation) parseRanges(body map[string]any, path string) error {
	list, ok := body["ranges"].([]any)
	if !ok || len(list) == 0 {
		return invalid(path+".ranges", "an array of {from, to, key}")
	}
	for _, item := range list {
		obj, ok := item.(map[string]any)
		if !ok || options(obj, path+".ranges", "from", "to", "key") != nil {
			return invalid(path+".ranges", "an array of {from, to, key}")
		}
		var r AggRange
		for _, b := range []struct {
			key string
			dst **float64
		}{{"from", &r.From}, {"to", &r.To}} {
			if v, ok := obj[b.key]; ok && v != nil {
				f, ok := numberOf(v)
				if !ok {
					return invalid(path+".ranges."+b.key, "a number")
				}
				*b.dst = &f
			}
		}
		r.Key, _ = obj["key"].(string)
		if r.Key == "" {
			r.Key = rangeKey(r)
		}
		a.Ranges = append(a.Ranges, r)
	}
	return nil
}

// rangeKey names a range bucket as Elasticsearch does: "*-100.0".
func rangeKey(r AggRange) string {
	bound := func(f *float64) string {
		if f == nil {
			return "*"
		}
		s := formatScalar(*f)
		if !strings.ContainsAny(s, ".e") {
			s += ".0"
		}
		return s
	}
	return bound(r.From) + "-" + bound(r.To)
}

// calendarUnits maps calendar_interval spellings to units.
var calendarUnits = map[string]string{
	"minute": "minute", "1m": "minute", "hour": "hour", "1h": "hour", "day": "day", "1d": "day",
	"week": "week", "1w": "week", "month": "month", "1M": "month", "quarter": "quarter", "1q": "quarter",
	"year": "year", "1y": "year",
}

func (a *Aggregation) parseInterval(body map[string]any, path string) error {
	var err error
	if a.MinDocCount, err = count(body["min_doc_count"], path+".min_doc_count", 0); err != nil {
		return err
	}
	if tz, ok := body["time_zone"]; ok {
		s, _ := tz.(string)
		loc, err := parseZone(s)
		if err != nil || s == "" {
			return invalid(path+".time_zone", `a time zone such as "+01:00" or "Europe/Paris"`)
		}
		a.TimeZone = loc
	}
	if c, ok := body["calendar_interval"].(string); ok {
		if a.Calendar = calendarUnits[c]; a.Calendar == "" {
			return invalid(path+".calendar_interval", "minute, hour, day, week, month, quarter or year")
		}
		return nil
	}
	f, ok := body["fixed_interval"].(string)
	if !ok {
		f, ok = body["interval"].(string)
	}
	if !ok {
		return invalid(path, "a calendar_interval or a fixed_interval")
	}
	if c := calendarUnits[f]; c != "" && f != "1m" && f != "1h" && f != "1d" {
		a.Calendar = c
		return nil
	}
	a.Fixed, err = parseFixed(f)
	if err != nil || a.Fixed <= 0 {
		return invalid(path+".fixed_interval", `a duration such as "30s", "10m", "2h" or "3d"`)
	}
	return nil
}

// parseFixed reads Elasticsearch's fixed intervals: ms, s, m, h, d.
func parseFixed(s string) (time.Duration, error) {
	units := []struct {
		suffix string
		d      time.Duration
	}{{"ms", time.Millisecond}, {"s", time.Second}, {"m", time.Minute}, {"h", time.Hour}, {"d", 24 * time.Hour}}
	for _, u := range units {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			var v int64
			if _, err := fmt.Sscanf(n, "%d", &v); err != nil || fmt.Sprint(v) != n || v <= 0 || v > int64(math.MaxInt64/u.d) {
				return 0, fmt.Errorf("bad interval %q", s)
			}
			return time.Duration(v) * u.d, nil
		}
	}
	return 0, fmt.Errorf("bad interval %q", s)
}

// numericValues returns a field's values as numbers (dates in epoch
// milliseconds), skipping the others.
func numericValues(doc map[string]any, f Field) []float64 {
	var out []float64
	anyValue(doc, f, func(v any, k Kind) bool {
		if k == KindDate {
			if ms, ok := dateOf(v, ""); ok {
				out = append(out, float64(ms))
			}
			return false
		}
		if x, ok := numberOf(v); ok && k != KindText && k != KindKeyword {
			out = append(out, x)
		}
		return false
	})
	return out
}

// metric computes min, max, avg, sum, value_count and cardinality.
func metric(a *Aggregation, docs []map[string]any) map[string]any {
	if a.Type == "value_count" || a.Type == "cardinality" {
		n, seen := 0, map[any]bool{}
		for _, d := range docs {
			anyValue(d, a.Field, func(v any, k Kind) bool {
				key, _ := termKey(k, v)
				n++
				seen[key] = true
				return false
			})
		}
		if a.Type == "cardinality" {
			n = len(seen)
		}
		return map[string]any{"value": n}
	}
	var vals []float64
	for _, d := range docs {
		vals = append(vals, numericValues(d, a.Field)...)
	}
	sum, lo, hi := 0.0, math.Inf(1), math.Inf(-1)
	for _, x := range vals {
		sum, lo, hi = sum+x, math.Min(lo, x), math.Max(hi, x)
	}
	var value any
	switch {
	case a.Type == "sum":
		value = sum
	case len(vals) == 0:
		value = nil
	case a.Type == "min":
		value = lo
	case a.Type == "max":
		value = hi
	default:
		value = sum / float64(len(vals))
	}
	out := map[string]any{"value": value}
	if f, ok := value.(float64); ok && a.Field.Kind == KindDate && a.Type != "sum" {
		out["value_as_string"] = formatDate(int64(f), a.Format, time.UTC)
	}
	return out
}

// termKey is a value's bucket key: strings for keywords, float64 for
// numbers and dates, 1/0 for booleans (with their key_as_string).
func termKey(k Kind, v any) (any, string) {
	switch k {
	case KindNumber:
		if f, ok := numberOf(v); ok {
			return f, ""
		}
	case KindDate:
		if ms, ok := dateOf(v, ""); ok {
			return float64(ms), formatDate(ms, "", time.UTC)
		}
	case KindBool:
		if b, ok := boolOf(v); ok {
			if b {
				return 1.0, "true"
			}
			return 0.0, "false"
		}
	}
	s, _ := keywordOf(v)
	return s, ""
}

// sortBuckets orders terms buckets.
func sortBuckets(keys []any, counts map[any]int, a *Aggregation) {
	sort.SliceStable(keys, func(i, j int) bool {
		ci, cj := counts[keys[i]], counts[keys[j]]
		if !a.ByKey && ci != cj {
			return (ci < cj) == a.Asc
		}
		c := compareKeys(keys[i], keys[j])
		if a.ByKey && !a.Asc {
			return c > 0
		}
		return c < 0
	})
}
