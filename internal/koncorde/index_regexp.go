package koncorde

import (
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// regexpIndex holds the regexp conditions of one field. Those anchored on
// a literal prefix (^user-12-...) are found by looking the value's
// prefixes up; the others are all run on every value.
type regexpIndex struct {
	byPrefix map[string][]*entry
	lens     []int // distinct prefix lengths, ascending
	others   []*entry
}

func (r *regexpIndex) len() int {
	n := len(r.others)
	for _, l := range r.byPrefix {
		n += len(l)
	}
	return n
}

func (r *regexpIndex) add(e *entry) {
	p := e.c.re.prefix
	if p == "" {
		r.others = append(r.others, e)
		return
	}
	if r.byPrefix == nil {
		r.byPrefix = map[string][]*entry{}
	}
	r.byPrefix[p] = append(r.byPrefix[p], e)
	if i, found := slices.BinarySearch(r.lens, len(p)); !found {
		r.lens = slices.Insert(r.lens, i, len(p))
	}
}

func (r *regexpIndex) remove(e *entry) {
	p := e.c.re.prefix
	if p == "" {
		r.others = deleteFirst(r.others, e)
		return
	}
	if rest := deleteFirst(r.byPrefix[p], e); len(rest) > 0 {
		r.byPrefix[p] = rest
	} else {
		delete(r.byPrefix, p)
	}
	// Prefix lengths are kept: a stale one costs one failed lookup.
}

// hits reports every regexp condition matching s.
func (r *regexpIndex) hits(s string, sc *scratch, p *probe) {
	for _, l := range r.lens {
		if l > len(s) {
			break
		}
		for _, e := range r.byPrefix[s[:l]] {
			if e.c.re.literal || e.c.re.MatchString(s) {
				sc.hit(e, p)
			}
		}
	}
	for _, e := range r.others {
		if e.c.re.MatchString(s) {
			sc.hit(e, p)
		}
	}
}

// lazyRegexp is a validated regular expression compiled on its first
// use: registration only parses it (a tenth of the cost), and the many
// expressions the literal-prefix index settles alone are never compiled.
type lazyRegexp struct {
	src     string
	prefix  string // literal every match starts the text with, if any
	literal bool   // the expression is nothing more than ^prefix
	once    sync.Once
	re      *regexp.Regexp
}

// newLazyRegexp parses src with the syntax regexp.Compile uses, so that it
// reports the same errors.
func newLazyRegexp(src string) (*lazyRegexp, error) {
	if lit, ok := strings.CutPrefix(src, "^"); ok && plainLiteral(lit) {
		// The common prefix subscription: nothing to parse.
		return &lazyRegexp{src: src, prefix: lit, literal: lit != ""}, nil
	}
	tree, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return nil, err
	}
	r := &lazyRegexp{src: src}
	r.prefix, r.literal = anchoredPrefix(tree.Simplify())
	return r, nil
}

// plainLiteral reports whether s, as an expression, is s itself: valid
// UTF-8 without metacharacters.
func plainLiteral(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsAny(s, `\.+*?()|[]{}^$`)
}

// MatchString reports whether s contains a match.
func (r *lazyRegexp) MatchString(s string) bool {
	if r.literal {
		return strings.HasPrefix(s, r.prefix)
	}
	r.once.Do(func() {
		// The source parsed; only resource limits could fail here, and
		// then the expression matches nothing.
		r.re, _ = regexp.Compile(r.src)
	})
	return r.re != nil && r.re.MatchString(s)
}

// anchoredPrefix returns the literal every match of a simplified
// expression must start the text with, and whether the expression is
// nothing more than that literal.
func anchoredPrefix(re *syntax.Regexp) (prefix string, literal bool) {
	if re.Op != syntax.OpConcat || len(re.Sub) < 2 || re.Sub[0].Op != syntax.OpBeginText {
		return "", false
	}
	lit := re.Sub[1]
	if lit.Op != syntax.OpLiteral || lit.Flags&syntax.FoldCase != 0 {
		return "", false
	}
	return string(lit.Rune), len(re.Sub) == 2
}
