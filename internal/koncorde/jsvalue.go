package koncorde

import (
	"math"
	"strconv"
	"strings"
	"unicode"
)

// Values handled here are decoded JSON: nil, bool, float64, string, []any
// and map[string]any, or *object in place of the map in documents read
// from JSON bytes. The helpers give them JavaScript's semantics, since
// koncorde's behaviour is defined by what JavaScript does with them.

// isScalar reports whether v is a JSON string, number, boolean or null.
func isScalar(v any) bool {
	switch v.(type) {
	case nil, bool, float64, string:
		return true
	}
	return false
}

// truthy is JavaScript's boolean conversion.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case float64:
		return x != 0 && !math.IsNaN(x)
	case string:
		return x != ""
	}
	return true
}

// jsString is JavaScript's String(v).
func jsString(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return jsNumber(x)
	case string:
		return x
	case []any:
		var b strings.Builder
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			if e != nil {
				b.WriteString(jsString(e))
			}
		}
		return b.String()
	}
	return "[object Object]"
}

// jsNumber formats a number like JavaScript's Number.prototype.toString.
func jsNumber(x float64) string {
	switch {
	case math.IsNaN(x):
		return "NaN"
	case math.IsInf(x, 1):
		return "Infinity"
	case math.IsInf(x, -1):
		return "-Infinity"
	case x == 0:
		return "0"
	}
	sign := ""
	if x < 0 {
		sign, x = "-", -x
	}
	e := strconv.FormatFloat(x, 'e', -1, 64)
	mant, exp, _ := strings.Cut(e, "e")
	digits := strings.Replace(mant, ".", "", 1)
	n, _ := strconv.Atoi(exp)
	n++
	k := len(digits)
	switch {
	case k <= n && n <= 21:
		return sign + digits + strings.Repeat("0", n-k)
	case 0 < n && n <= 21:
		return sign + digits[:n] + "." + digits[n:]
	case -6 < n && n <= 0:
		return sign + "0." + strings.Repeat("0", -n) + digits
	}
	es := "+"
	if n-1 < 0 {
		es = "-"
	}
	m := digits[:1]
	if k > 1 {
		m += "." + digits[1:]
	}
	return sign + m + "e" + es + strconv.Itoa(abs(n-1))
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

// parseFloat is JavaScript's Number.parseFloat(v): the longest decimal
// literal prefix of String(v), NaN when there is none.
func parseFloat(v any) float64 {
	if f, ok := v.(float64); ok {
		return f
	}
	s := strings.TrimLeftFunc(jsString(v), isJSSpace)
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	if strings.HasPrefix(s[i:], "Infinity") {
		if s[0] == '-' {
			return math.Inf(-1)
		}
		return math.Inf(1)
	}
	start := i
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return math.NaN()
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && s[j] >= '0' && s[j] <= '9' {
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			i = j
		}
	}
	f, err := strconv.ParseFloat(s[:i], 64)
	if err != nil && start == i {
		return math.NaN()
	}
	return f
}

// isJSSpace reports whether r is white space or a line terminator for
// JavaScript's String.prototype.trim and regexp \s.
func isJSSpace(r rune) bool {
	return r == '\uFEFF' || unicode.IsSpace(r) || unicode.Is(unicode.Zs, r)
}

// typeOf is JavaScript's typeof for decoded JSON.
func typeOf(v any) string {
	switch v.(type) {
	case bool:
		return "boolean"
	case float64:
		return "number"
	case string:
		return "string"
	}
	return "object"
}

// matchAny is the "match" keyword's structural test: scalars are strictly
// equal, objects match when every key of want matches, arrays when every
// element of want matches a distinct element of have (first fit, in order).
func matchAny(have, want any) bool {
	if typeOf(have) != typeOf(want) {
		return false
	}
	if have == nil || want == nil {
		return have == nil && want == nil
	}
	switch w := want.(type) {
	case []any:
		h, ok := have.([]any)
		return ok && matchArray(h, w)
	case map[string]any:
		switch h := have.(type) {
		case map[string]any:
			return matchObject(h, w)
		case *object:
			return matchMembers(h, w)
		}
		return false
	}
	if _, isArr := have.([]any); isArr {
		return false
	}
	return have == want
}

func matchArray(have, want []any) bool {
	if len(have) < len(want) {
		return false
	}
	left := append([]any(nil), have...)
	for _, w := range want {
		found := false
		for j, h := range left {
			if matchAny(h, w) {
				left = append(left[:j], left[j+1:]...)
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func matchObject(have map[string]any, want map[string]any) bool {
	for k, w := range want {
		h, ok := have[k]
		if !ok {
			return false
		}
		if !matchAny(h, w) {
			return false
		}
	}
	return true
}

func matchMembers(have *object, want map[string]any) bool {
	for k, w := range want {
		h, ok := have.get(k)
		if !ok || !matchAny(h, w) {
			return false
		}
	}
	return true
}
