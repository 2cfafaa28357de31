package koncorde

import (
	"regexp/syntax"
	"slices"
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
	p := e.c.rePrefix
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
	p := e.c.rePrefix
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
			if e.c.reLiteral || e.c.re.MatchString(s) {
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

// anchoredPrefix returns the literal every match must start the text with,
// and whether the expression is nothing more than that literal.
func anchoredPrefix(goSrc string) (prefix string, literal bool) {
	re, err := syntax.Parse(goSrc, syntax.Perl)
	if err != nil {
		return "", false
	}
	re = re.Simplify()
	if re.Op != syntax.OpConcat || len(re.Sub) < 2 || re.Sub[0].Op != syntax.OpBeginText {
		return "", false
	}
	lit := re.Sub[1]
	if lit.Op != syntax.OpLiteral || lit.Flags&syntax.FoldCase != 0 {
		return "", false
	}
	return string(lit.Rune), len(re.Sub) == 2
}
