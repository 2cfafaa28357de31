package koncorde

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"

	"github.com/starlingmq/starling/internal/jsonx"
)

// arrayField splits `path["value"]` (an exists test on an array value).
var (
	arrayField     = regexp.MustCompile(`^(.*?[^\\])\[(.*)\]$`)
	escapedBracket = regexp.MustCompile(`\\([\[\]])`)
)

// parseExists validates exists and missing: a field name, or the
// deprecated {field: name}.
func parseExists(v any, path, name string) (*node, error) {
	if s, ok := v.(string); ok {
		if s == "" {
			return nil, dslError(path, "cannot test empty field name")
		}
		return parseFieldSyntax(s, path)
	}
	o, err := expectObject(v, path, objectRules{properties: 1, required: []string{"field"}})
	if err != nil {
		return nil, err
	}
	fieldPath := join(path, "field")
	s, err := expectString(o["field"], fieldPath)
	if err != nil {
		return nil, err
	}
	return parseFieldSyntax(s, fieldPath)
}

func parseFieldSyntax(field, path string) (*node, error) {
	c := &condition{kw: kwExists, field: field}
	if !strings.ContainsAny(field, "[]") { // neither regexp below can match
		var key strings.Builder
		key.Grow(len(field) + 5)
		key.WriteString("ex:")
		writeQuoted(&key, field)
		c.key = key.String()
		return leaf(c), nil
	}
	if m := arrayField.FindStringSubmatch(field); m != nil {
		var value any
		if err := jsonx.Unmarshal([]byte(m[2]), &value); err != nil {
			return nil, dslError(path, fmt.Sprintf("contains an invalid array value (%q)", m[2]))
		}
		c.field, c.array, c.value = m[1], true, value
	}
	c.field = escapedBracket.ReplaceAllString(c.field, "$1")
	c.key = "ex:" + strconv.Quote(c.field)
	if c.array {
		c.key = condKey("exa:", c.field, "=", c.value)
	}
	return leaf(c), nil
}

// rangeEpsilon is what koncorde adds to strict bounds: its interval tree
// only knows inclusive ones.
const rangeEpsilon = 1e-10

func parseRange(v any, path string) (*node, error) {
	o, err := expectObject(v, path, objectRules{properties: 1})
	if err != nil {
		return nil, err
	}
	field := onlyKey(o)
	fieldPath := join(path, field)
	bounds, err := expectObject(o[field], fieldPath, objectRules{
		nonEmpty: true,
		allowed:  []string{"gt", "gte", "lt", "lte"},
	})
	if err != nil {
		return nil, err
	}
	c := &condition{kw: kwRange, field: field, lo: math.Inf(-1), hi: math.Inf(1), nlo: math.Inf(-1), nhi: math.Inf(1)}
	low, high := math.Inf(-1), math.Inf(1)
	var key strings.Builder
	key.WriteString("rg:")
	writeQuoted(&key, field)
	for _, k := range sortedKeys(bounds) {
		x, ok := bounds[k].(float64)
		if !ok {
			return nil, dslError(join(fieldPath, k), "must be a number")
		}
		key.WriteString(",")
		key.WriteString(k)
		key.WriteString("=")
		key.WriteString(num(x))
		switch k {
		case "lt", "lte":
			if !math.IsInf(high, 1) {
				return nil, dslError(fieldPath, "only 1 upper boundary allowed")
			}
			high = x
			c.hi, c.nhi = x, x
			if k == "lt" {
				c.hi = x - rangeEpsilon
			} else {
				c.nhi = x + rangeEpsilon
			}
		default:
			if !math.IsInf(low, -1) {
				return nil, dslError(fieldPath, "only 1 lower boundary allowed")
			}
			low = x
			c.lo, c.nlo = x, x
			if k == "gt" {
				c.lo = x + rangeEpsilon
			} else {
				c.nlo = x - rangeEpsilon
			}
		}
	}
	if high <= low {
		return nil, dslError(fieldPath, "lower boundary must be strictly inferior to the upper one")
	}
	c.key = key.String()
	return leaf(c), nil
}

func parseRegexp(v any, path string) (*node, error) {
	o, err := expectObject(v, path, objectRules{properties: 1})
	if err != nil {
		return nil, err
	}
	field := onlyKey(o)
	fieldPath := join(path, field)
	var pattern any
	flags, hasFlags := "", false
	switch x := o[field].(type) {
	case string:
		pattern = x
	case map[string]any:
		spec, err := expectObject(x, fieldPath, objectRules{
			nonEmpty: true,
			required: []string{"value"},
			allowed:  []string{"flags", "value"},
		})
		if err != nil {
			return nil, err
		}
		pattern = spec["value"]
		if truthy(spec["flags"]) {
			if flags, err = expectString(spec["flags"], join(fieldPath, "flags")); err != nil {
				return nil, err
			}
			hasFlags = true
		}
	default:
		return nil, dslError(fieldPath, "must be either a string or a non-empty object")
	}
	re, canon, err := compileJSRegexp(pattern, flags)
	c := &condition{kw: kwRegexp, field: field, re: re}
	if err != nil {
		shown := "undefined"
		if hasFlags {
			shown = flags
		}
		return nil, dslError(fieldPath, fmt.Sprintf("cannot parse regexp expression \"/%s/%s\" (%s)", jsString(pattern), shown, err))
	}
	c.key = "re:" + strconv.Quote(field) + ":" + canon
	return leaf(c), nil
}

// compileJSRegexp validates a koncorde regular expression (RE2 syntax as
// node-re2 reads it, JavaScript flags) for Go's RE2 engine, which compiles
// it on first use. Flags i, m and s change matching; g and y would only
// make node-re2's test() stateful, and other letters are ignored, as
// node-re2 does.
func compileJSRegexp(pattern any, flags string) (*lazyRegexp, string, error) {
	src, ok := pattern.(string)
	if !ok {
		return nil, "", errors.New("expected a string")
	}
	var mode strings.Builder
	for _, f := range "ims" {
		if strings.ContainsRune(flags, f) {
			mode.WriteRune(f)
		}
	}
	goSrc := translateEscapes(src)
	if mode.Len() > 0 {
		goSrc = "(?" + mode.String() + ")" + goSrc
	}
	re, err := newLazyRegexp(goSrc)
	if err != nil {
		return nil, "", re2Error(err)
	}
	return re, "/" + src + "/" + mode.String(), nil
}

// translateEscapes rewrites JavaScript's \uXXXX and \u{X...} escapes, which
// node-re2 accepts, into RE2's \x{...}.
func translateEscapes(s string) string {
	if !strings.Contains(s, `\u`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		if s[i+1] == 'u' {
			if i+6 <= len(s) && isHex(s[i+2:i+6]) {
				b.WriteString(`\x{` + s[i+2:i+6] + `}`)
				i += 5
				continue
			}
			if i+2 < len(s) && s[i+2] == '{' {
				if end := strings.IndexByte(s[i+2:], '}'); end > 1 && isHex(s[i+3:i+2+end]) {
					b.WriteString(`\x{` + s[i+3:i+2+end] + `}`)
					i += 2 + end
					continue
				}
			}
		}
		b.WriteByte(s[i])
		b.WriteByte(s[i+1])
		i++
	}
	return b.String()
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// re2Messages are RE2's wording of the parse errors Go reports.
var re2Messages = map[syntax.ErrorCode]string{
	syntax.ErrMissingParen:          "missing )",
	syntax.ErrUnexpectedParen:       "unexpected )",
	syntax.ErrMissingBracket:        "missing ]",
	syntax.ErrInvalidRepeatSize:     "invalid repetition size",
	syntax.ErrInvalidPerlOp:         "invalid perl operator",
	syntax.ErrInvalidEscape:         "invalid escape sequence",
	syntax.ErrInvalidCharRange:      "invalid character class range",
	syntax.ErrMissingRepeatArgument: "no argument for repetition operator",
	syntax.ErrInvalidRepeatOp:       "bad repetition operator",
	syntax.ErrInvalidCharClass:      "invalid character class",
	syntax.ErrInvalidNamedCapture:   "invalid named capture group",
	syntax.ErrTrailingBackslash:     "trailing \\",
	syntax.ErrInvalidUTF8:           "invalid UTF-8",
}

func re2Error(err error) error {
	var se *syntax.Error
	if !errors.As(err, &se) {
		return err
	}
	msg, ok := re2Messages[se.Code]
	if !ok {
		msg = string(se.Code)
	}
	return fmt.Errorf("%s: %s", msg, se.Expr)
}
