package validation

import (
	"math"
	"regexp"
	"strings"
	"time"

	"github.com/starlingmq/starling/internal/kerror"
)

// dateFormat parses one of the date type's formats (Elasticsearch's
// names): a moment.js format, strict or forgiving, ISO 8601, or an epoch.
type dateFormat struct {
	parts  []formatPart
	strict bool
	kind   int // formatMoment, formatISO, formatEpochMillis, formatEpochSecond
}

const (
	formatMoment = iota
	formatISO
	formatEpochMillis
	formatEpochSecond
)

// momentFormats are Kuzzle's date formats: name → moment format; names
// starting with strict_ (and the basic_ ones but the week dates) parse
// strictly.
var momentFormats = map[string]string{
	"basic_date": "YYYYMMDD", "basic_date_time": `YYYYMMDD\THHmmss.SSSZ`,
	"basic_date_time_no_millis": `YYYYMMDD\THHmmssZ`, "basic_ordinal_date": "YYYYDDD",
	"basic_ordinal_date_time": `YYYYDDD\THHmmss.SSSZ`, "basic_ordinal_date_time_no_millis": `YYYYDDD\THHmmssZ`,
	"basic_t_time": `\THHmmss.SSSZ`, "basic_t_time_no_millis": `\THHmmssZ`,
	"basic_time": "HHmmss.SSSZ", "basic_time_no_millis": "HHmmssZ",
	"basic_week_date": `gggg\Wwwe`, "basic_week_date_time": `gggg\Wwwe\THHmmss.SSSZ`,
	"basic_week_date_time_no_millis": `gggg\Wwwe\THHmmssZ`,
	"date":                           "YYYY-MM-DD", "date_hour": `YYYY-MM-DD\THH`, "date_hour_minute": `YYYY-MM-DD\THH:mm`,
	"date_hour_minute_second": `YYYY-MM-DD\THH:mm:ss`, "date_hour_minute_second_fraction": `YYYY-MM-DD\THH:mm:ss.SSS`,
	"date_hour_minute_second_millis": `YYYY-MM-DD\THH:mm:ss.SSS`, "date_time": `YYYY-MM-DD\THH:mm:ss.SSSZZ`,
	"date_time_no_millis": `YYYY-MM-DD\THH:mm:ssZZ`,
	"hour":                "HH", "hour_minute": "HH:mm", "hour_minute_second": "HH:mm:ss",
	"hour_minute_second_fraction": "HH:mm:ss.SSS", "hour_minute_second_millis": "HH:mm:ss.SSS",
	"ordinal_date": "YYYY-DDD", "ordinal_date_time": `YYYY-DDD\THH:mm:ss.SSSZZ`,
	"ordinal_date_time_no_millis": `YYYY-DDD\THH:mm:ssZZ`,
	"strict_basic_week_date":      `gggg\Wwwe`, "strict_basic_week_date_time": `gggg\Wwwe\THHmmss.SSSZ`,
	"strict_basic_week_date_time_no_millis": `gggg\Wwwe\THHmmssZ`,
	"strict_date":                           "YYYY-MM-DD", "strict_date_hour": `YYYY-MM-DD\THH`, "strict_date_hour_minute": `YYYY-MM-DD\THH:mm`,
	"strict_date_hour_minute_second": `YYYY-MM-DD\THH:mm:ss`, "strict_date_hour_minute_second_fraction": `YYYY-MM-DD\THH:mm:ss.SSS`,
	"strict_date_hour_minute_second_millis": `YYYY-MM-DD\THH:mm:ss.SSS`,
	"strict_date_time":                      `YYYY-MM-DD\THH:mm:ss.SSSZZ`, "strict_date_time_no_millis": `YYYY-MM-DD\THH:mm:ssZZ`,
	"strict_hour": "HH", "strict_hour_minute": "HH:mm", "strict_hour_minute_second": "HH:mm:ss",
	"strict_hour_minute_second_fraction": "HH:mm:ss.SSS", "strict_hour_minute_second_millis": "HH:mm:ss.SSS",
	"strict_ordinal_date": "YYYY-DDD", "strict_ordinal_date_time": `YYYY-DDD\THH:mm:ss.SSSZZ`,
	"strict_ordinal_date_time_no_millis": `YYYY-DDD\THH:mm:ssZZ`,
	"strict_t_time":                      `\THH:mm:ss.SSSZZ`, "strict_t_time_no_millis": `\THH:mm:ssZZ`,
	"strict_time": "HH:mm:ss.SSSZZ", "strict_time_no_millis": "HH:mm:ssZZ",
	"strict_week_date": `gggg-\Www-e`, "strict_week_date_time": `gggg-\Www-e\THH:mm:ss.SSSZZ`,
	"strict_week_date_time_no_millis": `gggg-\Www-e\THH:mm:ssZZ`,
	"strict_weekyear":                 "gggg", "strict_weekyear_week": "ggggww", "strict_weekyear_week_day": "ggggwwe",
	"strict_year": "YYYY", "strict_year_month": "YYYYMM", "strict_year_month_day": "YYYYMMDD",
	"t_time": `\THH:mm:ss.SSSZZ`, "t_time_no_millis": `\THH:mm:ssZZ`,
	"time": "HH:mm:ss.SSSZZ", "time_no_millis": "HH:mm:ssZZ",
	"week_date": `gggg-\Www-e`, "week_date_time": `gggg-\Www-e\THH:mm:ss.SSSZZ`,
	"week_date_time_no_millis": `gggg-\Www-e\THH:mm:ssZZ`,
	"weekyear":                 "gggg", "weekyear_week": "ggggww", "weekyear_week_day": "ggggwwe",
	"year": "YYYY", "year_month": "YYYYMM", "year_month_day": "YYYYMMDD",
}

// lookupDateFormat returns a format by its name.
func lookupDateFormat(name string) (dateFormat, bool) {
	switch name {
	case "epoch_millis":
		return dateFormat{kind: formatEpochMillis}, true
	case "epoch_second":
		return dateFormat{kind: formatEpochSecond}, true
	case "strict_date_optional_time":
		return dateFormat{kind: formatISO, strict: true}, true
	}
	f, ok := momentFormats[name]
	if !ok {
		return dateFormat{}, false
	}
	strict := strings.HasPrefix(name, "strict_") ||
		strings.HasPrefix(name, "basic_") && !strings.HasPrefix(name, "basic_week_date")
	return dateFormat{parts: tokenize(f), strict: strict}, true
}

// parse returns the date in milliseconds since the epoch.
func (f dateFormat) parse(v any, now time.Time) (float64, bool) {
	switch f.kind {
	case formatEpochMillis, formatEpochSecond:
		n, ok := number(v)
		if !ok {
			return 0, false
		}
		if f.kind == formatEpochSecond {
			n *= 1000
		}
		if math.IsNaN(n) || math.Abs(n) > maxTime {
			return 0, false
		}
		return math.Trunc(n), true
	case formatISO:
		return parseISO(jsString(v), f.strict, now)
	}
	return parseMoment(jsString(v), f.parts, f.strict, now)
}

// dateRange is a date type's range; NOW bounds are read at each check.
type dateRange struct {
	min, max       float64
	hasMin, hasMax bool
	minNow, maxNow bool
}

func compileDate(opts map[string]any, _ *curator) (checker, error) {
	formats, err := dateFormats(opts)
	if err != nil {
		return nil, err
	}
	r, err := compileDateRange(opts)
	if err != nil {
		return nil, err
	}
	return func(v any) []string { return r.check(formats, v, time.Now()) }, nil
}

func dateFormats(opts map[string]any) ([]dateFormat, error) {
	raw, ok := opts["formats"]
	if !ok {
		return []dateFormat{{kind: formatEpochMillis}}, nil
	}
	list, ok := raw.([]any)
	if !ok || len(list) == 0 {
		return nil, kerror.New("validation.assert.invalid_type", "formats", "non-empty array")
	}
	var formats []dateFormat
	var unknown []string
	for _, v := range list {
		name, _ := v.(string)
		f, ok := lookupDateFormat(name)
		if !ok || !isString(v) {
			unknown = append(unknown, jsString(v))
			continue
		}
		formats = append(formats, f)
	}
	if unknown != nil {
		return nil, kerror.New("validation.types.invalid_date_format", strings.Join(unknown, ", "))
	}
	return formats, nil
}

func compileDateRange(opts map[string]any) (dateRange, error) {
	var r dateRange
	raw, ok := opts["range"]
	if !ok {
		return r, nil
	}
	if !onlyKeys(raw, "min", "max") {
		return r, kerror.New("validation.assert.unexpected_properties", "range", "min, max")
	}
	o := raw.(map[string]any)
	now := time.Now()
	var err error
	if v, ok := o["min"]; ok {
		if r.min, err = rangeValue(v, now); err != nil {
			return r, err
		}
		r.hasMin, r.minNow = truthy(v), v == "NOW"
	}
	if v, ok := o["max"]; ok {
		if r.max, err = rangeValue(v, now); err != nil {
			return r, err
		}
		r.hasMax, r.maxNow = truthy(v), v == "NOW"
	}
	_, hasMin := o["min"]
	_, hasMax := o["max"]
	if hasMin && hasMax && r.max < r.min {
		return r, kerror.New("validation.assert.invalid_range", "range", "min", "max")
	}
	// Kuzzle replaces a bound by its parsed date (always truthy) unless it
	// is NOW: any given bound applies.
	r.hasMin, r.hasMax = hasMin, hasMax
	return r, nil
}

// rangeValue is convertRangeValue: NOW, an ISO 8601 string or epoch
// milliseconds.
func rangeValue(v any, now time.Time) (float64, error) {
	if s, ok := v.(string); ok {
		if s == "NOW" {
			return float64(now.UnixMilli()), nil
		}
		if ms, ok := parseISO(s, false, now); ok {
			return ms, nil
		}
	} else if n, ok := number(v); ok && math.Abs(n) <= maxTime {
		return math.Trunc(n), nil
	}
	return 0, kerror.New("validation.types.invalid_date", inspect(v, true))
}

func (r dateRange) check(formats []dateFormat, v any, now time.Time) []string {
	var ms float64
	ok := false
	for _, f := range formats {
		if ms, ok = f.parse(v, now); ok {
			break
		}
	}
	if !ok {
		return fails("The date format is invalid.")
	}
	if r.hasMin {
		min := r.min
		if r.minNow {
			min = float64(now.UnixMilli())
		}
		if ms < min {
			return fails("The provided date is before the defined minimum.")
		}
	}
	if r.hasMax {
		max := r.max
		if r.maxNow {
			max = float64(now.UnixMilli())
		}
		if max < ms {
			return fails("The provided date is after the defined maximum.")
		}
	}
	return nil
}

var (
	isoExtended = regexp.MustCompile(`^[` + jsSpace + `]*((?:[+-]\d{6}|\d{4})-(?:\d\d-\d\d|W\d\d-\d|W\d\d|\d\d\d|\d\d))(?:(T| )(\d\d(?::\d\d(?::\d\d(?:[.,]\d+)?)?)?)([+-]\d\d(?::?\d\d)?|[` + jsSpace + `]*Z)?)?$`)
	isoBasic    = regexp.MustCompile(`^[` + jsSpace + `]*((?:[+-]\d{6}|\d{4})(?:\d\d\d\d|W\d\d\d|W\d\d|\d\d\d|\d\d|))(?:(T| )(\d\d(?:\d\d(?:\d\d(?:[.,]\d+)?)?)?)([+-]\d\d(?::?\d\d)?|[` + jsSpace + `]*Z)?)?$`)
	isoTZ       = regexp.MustCompile(`Z|[+-]\d\d(?::?\d\d)?`)
)

// isoFormat is one of moment's ISO 8601 date or time shapes.
type isoFormat struct {
	format    string
	re        *regexp.Regexp
	allowTime bool
}

var isoDates = []isoFormat{
	{"YYYYYY-MM-DD", regexp.MustCompile(`[+-]\d{6}-\d\d-\d\d`), true},
	{"YYYY-MM-DD", regexp.MustCompile(`\d{4}-\d\d-\d\d`), true},
	{"GGGG-[W]WW-E", regexp.MustCompile(`\d{4}-W\d\d-\d`), true},
	{"GGGG-[W]WW", regexp.MustCompile(`\d{4}-W\d\d`), false},
	{"YYYY-DDD", regexp.MustCompile(`\d{4}-\d{3}`), true},
	{"YYYY-MM", regexp.MustCompile(`\d{4}-\d\d`), false},
	{"YYYYYYMMDD", regexp.MustCompile(`[+-]\d{10}`), true},
	{"YYYYMMDD", regexp.MustCompile(`\d{8}`), true},
	{"GGGG[W]WWE", regexp.MustCompile(`\d{4}W\d{3}`), true},
	{"GGGG[W]WW", regexp.MustCompile(`\d{4}W\d{2}`), false},
	{"YYYYDDD", regexp.MustCompile(`\d{7}`), true},
	{"YYYYMM", regexp.MustCompile(`\d{6}`), false},
	{"YYYY", regexp.MustCompile(`\d{4}`), false},
}

var isoTimes = []isoFormat{
	{"HH:mm:ss.SSSS", regexp.MustCompile(`\d\d:\d\d:\d\d\.\d+`), true},
	{"HH:mm:ss,SSSS", regexp.MustCompile(`\d\d:\d\d:\d\d,\d+`), true},
	{"HH:mm:ss", regexp.MustCompile(`\d\d:\d\d:\d\d`), true},
	{"HH:mm", regexp.MustCompile(`\d\d:\d\d`), true},
	{"HHmmss.SSSS", regexp.MustCompile(`\d\d\d\d\d\d\.\d+`), true},
	{"HHmmss,SSSS", regexp.MustCompile(`\d\d\d\d\d\d,\d+`), true},
	{"HHmmss", regexp.MustCompile(`\d\d\d\d\d\d`), true},
	{"HHmm", regexp.MustCompile(`\d\d\d\d`), true},
	{"HH", regexp.MustCompile(`\d\d`), true},
}

// parseISO is moment's configFromISO: the ISO shape of the input picks
// the format, then the input is parsed with it.
func parseISO(s string, strict bool, now time.Time) (float64, bool) {
	m := isoExtended.FindStringSubmatch(s)
	if m == nil {
		if m = isoBasic.FindStringSubmatch(s); m == nil {
			return 0, false
		}
	}
	format, allowTime := "", false
	for _, d := range isoDates {
		if d.re.MatchString(m[1]) {
			format, allowTime = d.format, d.allowTime
			break
		}
	}
	if format == "" {
		return 0, false
	}
	if m[3] != "" {
		timeFormat := ""
		for _, t := range isoTimes {
			if t.re.MatchString(m[3]) {
				sep := m[2]
				if sep == "" {
					sep = " "
				}
				timeFormat = sep + t.format
				break
			}
		}
		if timeFormat == "" || !allowTime {
			return 0, false
		}
		format += timeFormat
	}
	if m[4] != "" {
		if !isoTZ.MatchString(m[4]) {
			return 0, false
		}
		format += "Z"
	}
	return parseMoment(s, tokenize(format), strict, now)
}
