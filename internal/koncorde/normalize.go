package koncorde

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/starlingmq/starling/internal/kerror"
)

// maxTerms bounds the disjunctive normal form of one filter: an and of ors
// multiplies out, and koncorde itself would take exponential time there.
const maxTerms = 1 << 14

// form is a filter in canonical disjunctive normal form: an or of terms,
// each an and of distinct literals sorted by key. No term matches nothing;
// a form without terms matches nothing; an empty term matches everything.
type form struct {
	terms    [][]literal
	termKeys []string // termKey of each term
	all      bool     // the empty filter {}: its key is "*"

	pending *node // select queries: the tree, until normalized
}

// normalizer turns validated trees into forms under the conditions and
// minterms limits.
type normalizer struct {
	maxConditions int // 0: unlimited
	maxMinterms   int // 0: unlimited (maxTerms still bounds the expansion)
}

// normalize counts the conditions like koncorde (one per elementary test
// after in and ids are expanded) and the minterms, then builds the
// canonical form. The minterms are counted without expanding anything, so
// a filter over the limit costs a walk of its tree, whatever its normal
// form would weigh.
func (z normalizer) normalize(n *node) (*form, error) {
	if n == nil {
		return &form{terms: [][]literal{{}}, termKeys: []string{""}, all: true}, nil
	}
	if count := countConditions(n); z.maxConditions > 0 && count > z.maxConditions {
		return nil, dslError("", fmt.Sprintf("Filter too complex: exceeds the configured maximum number of conditions (conditions: %d, max: %d)", count, z.maxConditions))
	}
	if z.maxMinterms > 0 {
		if count := countMinterms(n, false); count > int64(z.maxMinterms) {
			return nil, kerror.New("core.realtime.too_many_terms", z.maxMinterms, count)
		}
	}
	if err := z.normalizeSelects(n); err != nil {
		return nil, err
	}
	if n.op == opCond && n.cond.kw != kwNothing {
		return leafForm(n.cond), nil
	}
	terms, err := dnf(n, false)
	if err != nil {
		return nil, err
	}
	return canonicalForm(terms), nil
}

// leafForm is the canonical form of a filter of one condition, in one
// allocation: what canonicalForm makes of its single term.
func leafForm(c *condition) *form {
	one := &struct {
		f     form
		term  [1]literal
		terms [1][]literal
		keys  [1]string
	}{}
	one.term[0] = literal{c: c}
	one.terms[0] = one.term[:]
	one.keys[0] = c.key
	one.f.terms, one.f.termKeys = one.terms[:], one.keys[:]
	return &one.f
}

// normalizeSelects gives every select query its own form: koncorde stores
// it in a sub-engine with the same limits.
func (z normalizer) normalizeSelects(n *node) error {
	if n.op == opCond {
		c := n.cond
		if c.kw != kwSelect || c.query.pending == nil {
			return nil
		}
		q, err := z.normalize(c.query.pending)
		if err != nil {
			return err
		}
		c.query = q
		c.key = fmt.Sprintf("sel:%q[%d]:%s", c.field, c.index, q.appendKey(nil))
		return nil
	}
	for _, k := range n.kids {
		if err := z.normalizeSelects(k); err != nil {
			return err
		}
	}
	return nil
}

func countConditions(n *node) int {
	if n.op == opCond {
		return 1
	}
	total := 0
	for _, k := range n.kids {
		total += countConditions(k)
	}
	return total
}

// countMinterms returns how many terms dnf(n, neg) makes, before any
// impossible or redundant term is pruned: the sum of an or's kids, the
// product of an and's, with not swapping the two (De Morgan). It allocates
// nothing and saturates at math.MaxInt64. Every and and or has kids, each
// counting at least 1, so dnf's partial products never exceed the total:
// a filter within a limit is expanded within that limit.
func countMinterms(n *node, neg bool) int64 {
	switch n.op {
	case opCond:
		return 1
	case opNot:
		return countMinterms(n.kids[0], !neg)
	}
	if (n.op == opAnd) != neg {
		total := int64(1)
		for _, k := range n.kids {
			total = saturatingMul(total, countMinterms(k, neg))
		}
		return total
	}
	total := int64(0)
	for _, k := range n.kids {
		total = saturatingAdd(total, countMinterms(k, neg))
	}
	return total
}

// saturatingAdd adds two non-negative counts, math.MaxInt64 past it.
func saturatingAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// saturatingMul multiplies two non-negative counts, math.MaxInt64 past it.
func saturatingMul(a, b int64) int64 {
	if a == 0 || b == 0 {
		return 0
	}
	if a > math.MaxInt64/b {
		return math.MaxInt64
	}
	return a * b
}

// dnf multiplies n out into terms; neg pushes a not down (De Morgan).
func dnf(n *node, neg bool) ([][]literal, error) {
	switch n.op {
	case opCond:
		return [][]literal{{{c: n.cond, not: neg}}}, nil
	case opNot:
		return dnf(n.kids[0], !neg)
	}
	conjunction := (n.op == opAnd) != neg
	if !conjunction {
		out := make([][]literal, 0, len(n.kids))
		var leaves []literal // one backing array for the single-literal terms
		for _, k := range n.kids {
			if k.op == opCond {
				if leaves == nil {
					leaves = make([]literal, 0, len(n.kids))
				}
				leaves = append(leaves, literal{c: k.cond, not: neg})
				out = append(out, leaves[len(leaves)-1:len(leaves):len(leaves)])
				continue
			}
			t, err := dnf(k, neg)
			if err != nil {
				return nil, err
			}
			out = append(out, t...)
			if len(out) > maxTerms {
				return nil, tooManyTerms()
			}
		}
		return out, nil
	}
	out := [][]literal{{}}
	for _, k := range n.kids {
		t, err := dnf(k, neg)
		if err != nil {
			return nil, err
		}
		if len(out)*len(t) > maxTerms {
			return nil, tooManyTerms()
		}
		next := make([][]literal, 0, len(out)*len(t))
		for _, a := range out {
			for _, b := range t {
				term := make([]literal, 0, len(a)+len(b))
				next = append(next, append(append(term, a...), b...))
			}
		}
		out = next
	}
	return out, nil
}

func tooManyTerms() error {
	return dslError("", fmt.Sprintf("Filter too complex: its normal form exceeds %d subfilters", maxTerms))
}

// canonicalForm sorts and deduplicates literals and terms, drops the terms
// that cannot match, and the terms that contain another term.
func canonicalForm(terms [][]literal) *form {
	type keyed struct {
		t   []literal
		key string
	}
	kept := make([]keyed, 0, len(terms))
	for _, t := range terms {
		if t, ok := simplifyTerm(t); ok {
			kept = append(kept, keyed{t, termKey(t)})
		}
	}
	slices.SortFunc(kept, func(a, b keyed) int {
		if len(a.t) != len(b.t) {
			return len(a.t) - len(b.t)
		}
		return strings.Compare(a.key, b.key)
	})
	f := &form{terms: make([][]literal, 0, len(kept)), termKeys: make([]string, 0, len(kept))}
	for i, k := range kept {
		if i > 0 && kept[i-1].key == k.key || absorbed(f.terms, k.t) {
			continue
		}
		f.terms = append(f.terms, k.t)
		f.termKeys = append(f.termKeys, k.key)
	}
	return f
}

// appendKey appends the form's canonical text to b: its term keys, sorted
// and joined by "|" between brackets, or "*" for the empty filter.
func (f *form) appendKey(b []byte) []byte {
	if f.all {
		return append(b, '*')
	}
	keys := f.termKeys
	if !slices.IsSorted(keys) {
		keys = slices.Clone(keys)
		slices.Sort(keys)
	}
	b = append(b, '[')
	for i, k := range keys {
		if i > 0 {
			b = append(b, '|')
		}
		b = append(b, k...)
	}
	return append(b, ']')
}

func termKey(t []literal) string {
	if len(t) == 1 {
		return t[0].key()
	}
	parts := make([]string, len(t))
	for i, l := range t {
		parts[i] = l.key()
	}
	return strings.Join(parts, "&")
}

// absorbed reports whether a shorter kept term is a subset of t.
func absorbed(kept [][]literal, t []literal) bool {
	for _, k := range kept {
		if len(k) >= len(t) {
			continue
		}
		all := true
		for _, l := range k {
			if !slices.ContainsFunc(t, func(m literal) bool { return m.key() == l.key() }) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// simplifyTerm sorts and deduplicates a term's literals; ok is false when
// the term can never match.
func simplifyTerm(t []literal) ([]literal, bool) {
	if len(t) == 1 { // the common case: nothing to sort, nothing to clash
		if t[0].c.kw == kwNothing {
			if t[0].not {
				return []literal{}, true
			}
			return nil, false
		}
		return t, true
	}
	out := make([]literal, 0, len(t))
	keys := make(map[string]bool, len(t))
	for _, l := range t {
		if l.c.kw == kwNothing {
			if !l.not {
				return nil, false
			}
			continue // not nothing: always true
		}
		k := l.key()
		if keys[k] {
			continue
		}
		keys[k] = true
		out = append(out, l)
	}
	for _, l := range out {
		if keys["!"+l.c.key] && !l.not {
			return nil, false
		}
	}
	if impossible(out) {
		return nil, false
	}
	slices.SortFunc(out, func(a, b literal) int { return strings.Compare(a.key(), b.key()) })
	return out, true
}
