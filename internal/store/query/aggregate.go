package query

import (
	"slices"
	"strings"
	"time"
)

// Aggregate computes aggregations over the documents a search matched,
// with Elasticsearch's result shapes: {"value": v} for metrics (null when
// no value), {"buckets": [{"key": k, "doc_count": n, sub...}]} for terms,
// range and date_histogram. Terms on a text field bucket the whole
// strings (Elasticsearch refuses them: use the keyword sub-field).
func Aggregate(aggs []Aggregation, docs []map[string]any) map[string]any {
	if len(aggs) == 0 {
		return nil
	}
	out := make(map[string]any, len(aggs))
	for i := range aggs {
		a := &aggs[i]
		switch a.Type {
		case "terms":
			out[a.Name] = termsAgg(a, docs)
		case "range":
			out[a.Name] = rangeAgg(a, docs)
		case "date_histogram":
			out[a.Name] = histogramAgg(a, docs)
		default:
			out[a.Name] = metric(a, docs)
		}
	}
	return out
}

// bucket builds one bucket, with its sub-aggregations.
func bucket(a *Aggregation, key any, keyString string, docs []map[string]any) map[string]any {
	b := map[string]any{"key": key, "doc_count": len(docs)}
	if keyString != "" {
		b["key_as_string"] = keyString
	}
	for name, v := range Aggregate(a.Sub, docs) {
		b[name] = v
	}
	return b
}

func termsAgg(a *Aggregation, docs []map[string]any) map[string]any {
	members := map[any][]map[string]any{}
	labels := map[any]string{}
	var keys []any
	for _, d := range docs {
		seen := map[any]bool{}
		anyValue(d, a.Field, func(v any, k Kind) bool {
			if k == KindText {
				k = KindKeyword
			}
			key, label := termKey(k, v)
			if !seen[key] {
				seen[key] = true
				if members[key] == nil {
					keys = append(keys, key)
				}
				members[key] = append(members[key], d)
				labels[key] = label
			}
			return false
		})
	}
	counts := make(map[any]int, len(keys))
	for _, k := range keys {
		counts[k] = len(members[k])
	}
	sortBuckets(keys, counts, a)
	buckets, other := []any{}, 0
	for _, k := range keys {
		if counts[k] < a.MinDocCount {
			continue
		}
		if len(buckets) >= a.Size {
			other += counts[k]
			continue
		}
		buckets = append(buckets, bucket(a, k, labels[k], members[k]))
	}
	return map[string]any{"doc_count_error_upper_bound": 0, "sum_other_doc_count": other, "buckets": buckets}
}

func rangeAgg(a *Aggregation, docs []map[string]any) map[string]any {
	buckets := make([]any, 0, len(a.Ranges))
	for _, r := range a.Ranges {
		var in []map[string]any
		for _, d := range docs {
			for _, x := range numericValues(d, a.Field) {
				if (r.From == nil || x >= *r.From) && (r.To == nil || x < *r.To) {
					in = append(in, d)
					break
				}
			}
		}
		b := bucket(a, r.Key, "", in)
		if r.From != nil {
			b["from"] = *r.From
		}
		if r.To != nil {
			b["to"] = *r.To
		}
		buckets = append(buckets, b)
	}
	return map[string]any{"buckets": buckets}
}

func histogramAgg(a *Aggregation, docs []map[string]any) map[string]any {
	members := map[int64][]map[string]any{}
	first, last := int64(0), int64(0)
	for _, d := range docs {
		seen := map[int64]bool{}
		for _, ms := range numericValues(d, a.Field) {
			k := a.floor(int64(ms))
			if seen[k] {
				continue
			}
			seen[k] = true
			if len(members) == 0 || k < first {
				first = k
			}
			if len(members) == 0 || k > last {
				last = k
			}
			members[k] = append(members[k], d)
		}
	}
	return map[string]any{"buckets": histogramBuckets(a, members, first, last)}
}

// maxBuckets bounds the empty buckets a histogram fills in, as
// Elasticsearch's search.max_buckets does; past it only non-empty
// buckets are returned.
const maxBuckets = 65536

func histogramBuckets(a *Aggregation, members map[int64][]map[string]any, first, last int64) []any {
	keys := make([]int64, 0, len(members))
	for k := range members {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if a.MinDocCount == 0 && len(keys) > 0 {
		var all []int64
		for k := first; k <= last && len(all) <= maxBuckets; k = a.next(k) {
			all = append(all, k)
		}
		if len(all) <= maxBuckets {
			keys = all
		}
	}
	buckets := []any{}
	for _, k := range keys {
		if len(members[k]) < a.MinDocCount {
			continue
		}
		buckets = append(buckets, bucket(a, float64(k), formatDate(k, a.Format, a.zone()), members[k]))
	}
	return buckets
}

// floor returns the start of the interval holding ms: fixed intervals
// count from the epoch, calendar ones start in the aggregation's zone.
func (a *Aggregation) floor(ms int64) int64 {
	if a.Calendar == "" {
		step := a.Fixed.Milliseconds()
		k := ms - ms%step
		if ms < 0 && ms%step != 0 {
			k -= step
		}
		return k
	}
	unit := map[string]string{"minute": "m", "hour": "h", "day": "d", "week": "w", "month": "M", "quarter": "q", "year": "y"}[a.Calendar]
	return roundDown(time.UnixMilli(ms).In(a.zone()), unit).UnixMilli()
}

// zone is the aggregation's time zone, UTC by default.
func (a *Aggregation) zone() *time.Location {
	if a.TimeZone == nil {
		return time.UTC
	}
	return a.TimeZone
}

// next returns the start of the interval after the one starting at k.
func (a *Aggregation) next(k int64) int64 {
	if a.Calendar == "" {
		return k + a.Fixed.Milliseconds()
	}
	t := time.UnixMilli(k).In(a.zone())
	switch a.Calendar {
	case "minute":
		return t.Add(time.Minute).UnixMilli()
	case "hour":
		return t.Add(time.Hour).UnixMilli()
	case "day":
		return t.AddDate(0, 0, 1).UnixMilli()
	case "week":
		return t.AddDate(0, 0, 7).UnixMilli()
	case "month":
		return t.AddDate(0, 1, 0).UnixMilli()
	case "quarter":
		return t.AddDate(0, 3, 0).UnixMilli()
	}
	return t.AddDate(1, 0, 0).UnixMilli()
}

// jodaLayout translates the common Joda date pattern letters to Go's.
var jodaLayout = strings.NewReplacer(
	"yyyy", "2006", "yy", "06", "MMMM", "January", "MMM", "Jan", "MM", "01", "dd", "02",
	"HH", "15", "hh", "03", "mm", "04", "ss", "05", "SSS", "000", "'T'", "T", "'", "", "Z", "Z07:00",
)

// formatDate writes epoch milliseconds as Elasticsearch's default
// strict_date_optional_time, or with a Joda-like format.
func formatDate(ms int64, format string, loc *time.Location) string {
	t := time.UnixMilli(ms).In(loc)
	if format == "" || strings.Contains(format, "strict_date_optional_time") || strings.Contains(format, "date_optional_time") {
		if loc == time.UTC {
			return t.Format("2006-01-02T15:04:05.000Z")
		}
		return t.Format("2006-01-02T15:04:05.000Z07:00")
	}
	if format == "epoch_millis" {
		return formatScalar(float64(ms))
	}
	return t.Format(jodaLayout.Replace(format))
}
