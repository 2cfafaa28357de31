package validation

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// This file parses dates the way moment.js 2.30 does for the formats
// Kuzzle's date type offers: moment.utc(value, format, strict). Forgiving
// mode finds each token's digits anywhere in what is left of the input,
// skipping the rest; strict mode wants the input to be exactly the
// tokens. Only the tokens those formats use are known.

// maxTime is the largest absolute JavaScript time value, in milliseconds.
const maxTime = 8.64e15

var (
	reD1to2  = regexp.MustCompile(`\d\d?`)
	reD2     = regexp.MustCompile(`\d\d`)
	reD1to3  = regexp.MustCompile(`\d{1,3}`)
	reD3     = regexp.MustCompile(`\d{3}`)
	reD1to4  = regexp.MustCompile(`\d{1,4}`)
	reD4     = regexp.MustCompile(`\d{4}`)
	reD1to6  = regexp.MustCompile(`[+-]?\d{1,6}`)
	reD6     = regexp.MustCompile(`[+-]?\d{6}`)
	reDigits = regexp.MustCompile(`\d+`)
	reOffset = regexp.MustCompile(`(?i)Z|[+-]\d\d(?::?\d\d)?`)
)

// momentToken is one format token: its regexps (forgiving, strict) and
// where its value goes.
type momentToken struct {
	loose, strict *regexp.Regexp
	apply         func(p *momentParse, in string)
}

var momentTokens = map[string]momentToken{
	"YYYYYY": {reD1to6, reD6, func(p *momentParse, in string) { p.set(slotYear, toInt(in)) }},
	"YYYY": {reD1to4, reD4, func(p *momentParse, in string) {
		y := toInt(in)
		if len(in) == 2 {
			y += 2000
			if y > 2068 {
				y -= 100
			}
		}
		p.set(slotYear, y)
	}},
	"MM":   {reD1to2, reD2, func(p *momentParse, in string) { p.set(slotMonth, toInt(in)-1) }},
	"DD":   {reD1to2, reD2, func(p *momentParse, in string) { p.set(slotDate, toInt(in)) }},
	"DDD":  {reD1to3, reD1to3, func(p *momentParse, in string) { p.dayOfYear, p.hasDayOfYear = toInt(in), true }},
	"HH":   {reD1to2, reD2, func(p *momentParse, in string) { p.set(slotHour, toInt(in)) }},
	"mm":   {reD1to2, reD2, func(p *momentParse, in string) { p.set(slotMinute, toInt(in)) }},
	"ss":   {reD1to2, reD2, func(p *momentParse, in string) { p.set(slotSecond, toInt(in)) }},
	"SSS":  {reD1to3, reD3, applyFraction},
	"SSSS": {reDigits, reDigits, applyFraction},
	"Z":    {reOffset, reOffset, applyOffset},
	"ZZ":   {reOffset, reOffset, applyOffset},
	"gggg": {reD1to4, reD4, func(p *momentParse, in string) { p.week("gg", toInt(in)) }},
	"GGGG": {reD1to4, reD4, func(p *momentParse, in string) { p.week("GG", toInt(in)) }},
	"ww":   {reD1to2, reD2, func(p *momentParse, in string) { p.week("w", toInt(in)) }},
	"WW":   {reD1to2, reD2, func(p *momentParse, in string) { p.week("W", toInt(in)) }},
	"e":    {reD1to2, reD1to2, func(p *momentParse, in string) { p.week("e", toInt(in)) }},
	"E":    {reD1to2, reD1to2, func(p *momentParse, in string) { p.week("E", toInt(in)) }},
}

// tokenNames are the token names, longest first, as the format
// tokenizer tries them.
var tokenNames = []string{"YYYYYY", "YYYY", "GGGG", "gggg", "SSSS", "SSS", "DDD", "DD", "MM", "HH", "mm", "ss", "ZZ", "Z", "WW", "ww", "E", "e"}

func applyFraction(p *momentParse, in string) {
	f, _ := strconv.ParseFloat("0."+in, 64)
	p.set(slotMilli, int(math.Floor(f*1000)))
}

func applyOffset(p *momentParse, in string) {
	minutes := 0
	if len(in) >= 3 {
		h, _ := strconv.Atoi(in[1:3])
		m := 0
		if rest := strings.TrimPrefix(in[3:], ":"); len(rest) == 2 {
			m, _ = strconv.Atoi(rest)
		}
		minutes = h*60 + m
		if in[0] == '-' {
			minutes = -minutes
		}
	}
	p.tzm, p.hasTZ = minutes, true
}

// toInt is moment's toInt: Number(s) floored towards zero, 0 when not
// finite.
func toInt(s string) int {
	f := stringToNumber(s)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return int(math.Trunc(f))
}

// formatPart is a tokenized format: a token name or a literal.
type formatPart struct {
	token   string
	literal *regexp.Regexp
}

func literal(s string) formatPart {
	return formatPart{literal: regexp.MustCompile(regexp.QuoteMeta(s))}
}

// tokenize splits a moment format: \x and [...] are literals, known
// tokens are matched longest first, every other character is a literal.
func tokenize(format string) []formatPart {
	var parts []formatPart
	for i := 0; i < len(format); {
		switch {
		case format[i] == '\\' && i+1 < len(format):
			parts = append(parts, literal(format[i+1:i+2]))
			i += 2
			continue
		case format[i] == '[':
			if end := strings.IndexByte(format[i:], ']'); end > 0 {
				parts = append(parts, literal(format[i+1:i+end]))
				i += end + 1
				continue
			}
		}
		name := ""
		for _, t := range tokenNames {
			if strings.HasPrefix(format[i:], t) {
				name = t
				break
			}
		}
		if name != "" {
			parts = append(parts, formatPart{token: name})
			i += len(name)
			continue
		}
		parts = append(parts, literal(format[i:i+1]))
		i++
	}
	return parts
}

const (
	slotYear = iota
	slotMonth
	slotDate
	slotHour
	slotMinute
	slotSecond
	slotMilli
	slotCount
)

// momentParse is the state of one parse.
type momentParse struct {
	a            [slotCount]int
	has          [slotCount]bool
	dayOfYear    int
	hasDayOfYear bool
	w            map[string]int
	tzm          int
	hasTZ        bool
	now          time.Time
}

func (p *momentParse) set(slot, v int) { p.a[slot], p.has[slot] = v, true }

func (p *momentParse) week(key string, v int) {
	if p.w == nil {
		p.w = map[string]int{}
	}
	p.w[key] = v
}

// parseMoment parses input with a tokenized format; ok is moment's
// isValid(). The time is in milliseconds since the epoch.
func parseMoment(input string, format []formatPart, strict bool, now time.Time) (ms float64, ok bool) {
	p := &momentParse{now: now}
	rest, consumed, empty, unused := input, 0, true, false
	for _, part := range format {
		re := part.literal
		if part.token != "" {
			t := momentTokens[part.token]
			re = t.loose
			if strict {
				re = t.strict
			}
		}
		loc := re.FindStringIndex(rest)
		matched := ""
		if loc != nil && loc[1] > loc[0] {
			matched = rest[loc[0]:loc[1]]
			rest = rest[loc[1]:]
			consumed += len(matched)
		}
		switch {
		case part.token != "" && matched != "":
			empty = false
			momentTokens[part.token].apply(p, matched)
		case matched == "" && (part.token != "" || strict):
			unused = true
		}
	}
	if empty || strict && (unused || consumed != len(input)) {
		return 0, false
	}
	return p.finish()
}
