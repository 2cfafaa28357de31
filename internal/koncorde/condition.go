package koncorde

import (
	"math"
	"strconv"
	"strings"

	"github.com/starlingmq/starling/internal/jsonx"
)

// keyword is the kind of an elementary condition of the normal form.
type keyword uint8

const (
	kwEquals keyword = iota
	kwExists
	kwRange
	kwRegexp
	kwGeo
	kwMatch
	kwSelect
	kwNothing
	kwExternal // wasm: an ExternalFilter, tested after the indexed conditions
)

// geoKind tells the four geo keywords apart.
type geoKind uint8

const (
	geoBox geoKind = iota
	geoCircle
	geoAnnulus
	geoPolygon
)

// condition is one elementary test on a document, shared by every
// subfilter that uses it. Its key identifies it: equal keys, same test.
//
// The fields of the common keywords come first; those of geo, match,
// select and wasm are behind one pointer, nil for the others, which keeps
// the many equals, exists and range conditions small.
type condition struct {
	kw    keyword
	geo   geoKind // geo keywords
	array bool    // exists: the path["value"] form
	field string  // the field path (exists: the path before any [value])
	key   string  // canonical text, unique per test

	value any // equals: the scalar; exists: the array value

	// range: inclusive bounds after koncorde's 1e-10 adjustment for strict
	// bounds, and the bounds its negation uses.
	lo, hi   float64
	nlo, nhi float64

	re *lazyRegexp // regexp

	*rareCondition
}

// rareCondition holds what geo, match, select and wasm conditions need.
type rareCondition struct {
	shape *shape // geo keywords

	match map[string]any // match

	index int   // select: array index, negative counts from the end
	query *form // select: the query's normal form, tested on {value: ...}

	ext *external // wasm
}

// literal is a condition or its negation inside a subfilter.
type literal struct {
	c   *condition
	not bool
}

func (l literal) key() string {
	if l.not {
		return "!" + l.c.key
	}
	return l.c.key
}

// canonicalJSON renders v with sorted keys, the text condition keys and
// filter ids are built from.
func canonicalJSON(v any) string {
	var b strings.Builder
	writeCanonical(&b, v)
	return b.String()
}

func writeCanonical(b *strings.Builder, v any) {
	switch x := v.(type) {
	case map[string]any:
		keys := sortedKeys(x)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			writeQuoted(b, k)
			b.WriteByte(':')
			writeCanonical(b, x[k])
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			writeCanonical(b, e)
		}
		b.WriteByte(']')
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			b.WriteString(jsNumber(x))
			return
		}
		b.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
	case string:
		if !plainJSONString(x) {
			writeMarshaled(b, x)
			return
		}
		b.WriteByte('"')
		b.WriteString(x)
		b.WriteByte('"')
	default:
		writeMarshaled(b, x)
	}
}

// plainJSONString reports whether s encodes as itself between quotes:
// printable ASCII that JSON encoders leave alone (no quote, backslash, nor
// the HTML characters they escape).
func plainJSONString(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// writeMarshaled writes x as the JSON encoder renders it.
func writeMarshaled(b *strings.Builder, x any) {
	out, err := jsonx.Marshal(x)
	if err != nil {
		b.WriteString("null")
		return
	}
	b.Write(out)
}

func num(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
