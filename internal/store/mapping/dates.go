package mapping

import (
	"math"
	"strconv"
	"strings"

	"github.com/starlingmq/starling/internal/jsonx"
)

// slashDateFormat is the format Elasticsearch gives a date field it
// detected from a "yyyy/MM/dd" string (its second dynamic_date_formats
// entry).
const slashDateFormat = "yyyy/MM/dd HH:mm:ss||yyyy/MM/dd||epoch_millis"

// acceptDate checks a date value against the field's format, by default
// strict_date_optional_time||epoch_millis. Named formats Starling does not
// know, and custom patterns, accept any string.
func acceptDate(f *Field, value any) bool {
	format := "strict_date_optional_time||epoch_millis"
	if raw, ok := f.Options["format"]; ok {
		format = strings.Trim(string(raw), `"`)
	}
	for format != "" {
		var name string
		name, format, _ = strings.Cut(format, "||")
		if dateFormatAccepts(strings.TrimSpace(name), value) {
			return true
		}
	}
	return false
}

func dateFormatAccepts(name string, value any) bool {
	switch name {
	case "epoch_millis", "epoch_second":
		switch v := value.(type) {
		case float64:
			return !math.IsNaN(v) && !math.IsInf(v, 0)
		case jsonx.Number:
			_, err := strconv.ParseFloat(string(v), 64)
			return err == nil
		case string:
			_, err := strconv.ParseFloat(v, 64)
			return err == nil
		}
		return false
	}
	s, ok := value.(string)
	if !ok {
		return false
	}
	switch name {
	case "strict_date_optional_time", "date_optional_time", "strict_date_optional_time_nanos",
		"strict_date_time", "date_time", "strict_date", "date", "strict_date_time_no_millis",
		"date_time_no_millis", "yyyy-MM-dd", "yyyy-MM-dd'T'HH:mm:ss":
		return isISODate(s, 1)
	case "yyyy/MM/dd HH:mm:ss", "yyyy/MM/dd", "yyyy/MM/dd HH:mm:ss Z", "yyyy/MM/dd Z":
		return isSlashDate(s)
	}
	return true
}

// isISODate reports whether s is strict_date_optional_time: yyyy[-MM[-dd
// [THH[:mm[:ss[.fraction]]][zone]]]], zone Z or ±HH[[:]mm]. minParts is how
// many date parts (year, month, day) s must have at least.
func isISODate(s string, minParts int) bool {
	p := digitsReader{s: s}
	year, ok := p.digits(4)
	if !ok || year < 0 {
		return false
	}
	parts := 1
	for _, max := range []int{12, 31} {
		if !p.eat('-') {
			break
		}
		n, ok := p.digits(2)
		if !ok || n < 1 || n > max {
			return false
		}
		parts++
	}
	if parts < minParts {
		return false
	}
	if parts == 3 && p.eat('T') && !p.time() {
		return false
	}
	return p.done()
}

// isSlashDate reports whether s is yyyy/MM/dd or yyyy/MM/dd HH:mm:ss,
// with an optional zone.
func isSlashDate(s string) bool {
	p := digitsReader{s: s}
	if _, ok := p.digits(4); !ok || !p.eat('/') {
		return false
	}
	if m, ok := p.digits(2); !ok || m < 1 || m > 12 || !p.eat('/') {
		return false
	}
	if d, ok := p.digits(2); !ok || d < 1 || d > 31 {
		return false
	}
	if p.eat(' ') && !p.time() {
		return false
	}
	p.eat(' ')
	return p.done()
}

// digitsReader reads fixed-width numbers from a date string.
type digitsReader struct {
	s string
	i int
}

func (p *digitsReader) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *digitsReader) digits(n int) (int, bool) {
	if p.i+n > len(p.s) {
		return 0, false
	}
	v := 0
	for _, c := range []byte(p.s[p.i : p.i+n]) {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	p.i += n
	return v, true
}

// time reads HH[:mm[:ss[.fraction]]] then an optional zone.
func (p *digitsReader) time() bool {
	if h, ok := p.digits(2); !ok || h > 23 {
		return false
	}
	for _, max := range []int{59, 59} {
		if !p.eat(':') {
			break
		}
		if n, ok := p.digits(2); !ok || n > max {
			return false
		}
	}
	if p.eat('.') || p.eat(',') {
		start := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		if n := p.i - start; n < 1 || n > 9 {
			return false
		}
	}
	return p.zone()
}

func (p *digitsReader) zone() bool {
	if p.eat('Z') || p.done() {
		return true
	}
	if !p.eat('+') && !p.eat('-') {
		return false
	}
	if h, ok := p.digits(2); !ok || h > 18 {
		return false
	}
	p.eat(':')
	if p.done() {
		return true
	}
	m, ok := p.digits(2)
	return ok && m <= 59
}

func (p *digitsReader) done() bool { return p.i == len(p.s) }
