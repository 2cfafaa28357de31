package query

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

func (p *parser) boolQuery(v any, path string) (Node, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, invalid(path, "an object")
	}
	if err := options(obj, path, "must", "filter", "should", "must_not", "minimum_should_match", "boost", "_name"); err != nil {
		return nil, err
	}
	b := &Bool{}
	for _, part := range []struct {
		key string
		dst *[]Node
	}{{"must", &b.Must}, {"filter", &b.Filter}, {"should", &b.Should}, {"must_not", &b.MustNot}} {
		list, err := p.clauseList(obj[part.key], path+"."+part.key)
		if err != nil {
			return nil, err
		}
		*part.dst = list
	}
	min, err := minimumShouldMatch(obj["minimum_should_match"], len(b.Should), len(b.Must)+len(b.Filter) > 0)
	if err != nil {
		return nil, invalid(path+".minimum_should_match", "an integer or a percentage")
	}
	b.MinShould = min
	return b, nil
}

// clauseList parses a bool part: one clause or an array of clauses.
func (p *parser) clauseList(v any, path string) ([]Node, error) {
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	nodes := make([]Node, 0, len(list))
	for _, item := range list {
		n, err := p.query(item, path)
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, n)
	}
	return nodes, nil
}

// minimumShouldMatch resolves minimum_should_match to a count of should
// clauses: an integer, a negative integer (all but), a percentage
// (rounded down) or a negative one; absent: 1 without must and filter
// clauses, else 0.
func minimumShouldMatch(v any, should int, scoped bool) (int, error) {
	if should == 0 {
		return 0, nil
	}
	var n float64
	switch t := v.(type) {
	case nil:
		if scoped {
			return 0, nil
		}
		return 1, nil
	case float64:
		n = t
	case string:
		s := strings.TrimSpace(t)
		pct := strings.HasSuffix(s, "%")
		f, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
		if err != nil {
			return 0, err
		}
		n = f
		if pct {
			n = math.Trunc(f * float64(should) / 100)
		}
	default:
		return 0, fmt.Errorf("not a count")
	}
	if n < 0 {
		n += float64(should)
	}
	return int(math.Max(0, n)), nil
}

func (p *parser) constantScore(v any, path string) (Node, error) {
	obj, ok := v.(map[string]any)
	if !ok || obj["filter"] == nil {
		return nil, invalid(path, "an object with a filter")
	}
	if err := options(obj, path, "filter", "boost", "_name"); err != nil {
		return nil, err
	}
	return p.query(obj["filter"], path+".filter")
}
