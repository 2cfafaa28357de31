package local

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/store/query"
)

// The keywords the plugin lets through, as it spells them ("fuziness"
// included): a search may look at usernames only, and sort on usernames
// and kuids.
var (
	queryKeywords = []string{
		"bool", "filter", "must", "must_not", "should",
		"fuziness", "match", "query",
		"prefix", "value",
		"boost", "term", "terms",
		"username",
	}
	sortKeywords = []string{"sort", "order", "kuid", "username"}
	// storedFields are the document's fields (and the plugin's) that a
	// search must not name: ForbiddenError rather than BadRequestError.
	storedFields = []string{
		"kuid", "password", "passwordHistory", "updater", "changedAt",
		"userPassword", "userSalt", "algorithm", "stretching", "pepper", "encryption",
	}
)

// SearchResult is the plugin's search answer.
type SearchResult struct {
	Hits  []Info `json:"hits"`
	Total int    `json:"total"`
}

// Search runs security:searchUsersByCredentials: only the body's query
// and sort count (other keys are ignored, as by the plugin), every key of
// which must be one of the plugin's keywords. (The plugin renames
// "username" to _id, its documents having no username field; here the
// username is both the _id and an indexed field, searched as such.) A stored field answers security.rights.forbidden
// "Forbidden field", another keyword api.assert.forbidden_argument.
// A size below 0 keeps the store's default page.
func (s *Strategy) Search(ctx context.Context, body jsonx.RawMessage, from, size int) (SearchResult, error) {
	var obj map[string]any
	if len(body) > 0 {
		if err := jsonx.Unmarshal(body, &obj); err != nil {
			return SearchResult{}, kerror.New("api.assert.invalid_argument", "body", "an object")
		}
	}
	clean := map[string]any{}
	if q, ok := obj["query"].(map[string]any); ok {
		mapped, err := sanitize(q, queryKeywords)
		if err != nil {
			return SearchResult{}, err
		}
		clean["query"] = mapped
	}
	if srt, err := sanitizeSort(obj["sort"]); err != nil {
		return SearchResult{}, err
	} else if srt != nil {
		clean["sort"] = srt
	}
	encoded, err := jsonx.Marshal(clean)
	if err != nil {
		return SearchResult{}, fmt.Errorf("local strategy: search: %w", err)
	}
	q, err := query.ParseSearch(encoded, "", s.mapping)
	if err != nil {
		return SearchResult{}, err
	}
	q.From, q.Size = max(from, 0), size
	res, err := s.st.Search(ctx, Index, Collection, q)
	if err != nil {
		return SearchResult{}, fmt.Errorf("local strategy: search: %w", err)
	}
	out := SearchResult{Hits: make([]Info, 0, len(res.Hits)), Total: res.Total}
	for _, hit := range res.Hits {
		r, err := decodeRecord(hit.ID, hit.Source)
		if err != nil {
			return SearchResult{}, err
		}
		out.Hits = append(out.Hits, Info{Username: r.Username, Kuid: r.Kuid})
	}
	return out, nil
}

// sanitizeSort checks a sort clause: an object or an array of objects and
// field names (the plugin leaves bare names unchecked; Starling checks
// them too). Any other value is dropped, as by the plugin.
func sanitizeSort(v any) (any, error) {
	switch srt := v.(type) {
	case map[string]any:
		return sanitize(srt, sortKeywords)
	case []any:
		out := make([]any, len(srt))
		for i, item := range srt {
			name, isName := item.(string)
			if !isName {
				mapped, err := sanitizeValue(item, sortKeywords)
				if err != nil {
					return nil, err
				}
				out[i] = mapped
				continue
			}
			key, err := checkKey(name, sortKeywords)
			if err != nil {
				return nil, err
			}
			out[i] = key
		}
		return out, nil
	}
	return nil, nil
}

// sanitize copies obj with every key checked against allowed, recursively
// (the plugin's objectRecursiveMap). Keys are
// visited in order, so that the first offending one is always the same.
func sanitize(obj map[string]any, allowed []string) (map[string]any, error) {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make(map[string]any, len(obj))
	for _, k := range keys {
		key, err := checkKey(k, allowed)
		if err != nil {
			return nil, err
		}
		if out[key], err = sanitizeValue(obj[k], allowed); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// sanitizeValue sanitizes the objects in v (itself, or an array's items).
func sanitizeValue(v any, allowed []string) (any, error) {
	switch val := v.(type) {
	case map[string]any:
		return sanitize(val, allowed)
	case []any:
		out := make([]any, len(val))
		for i, item := range val {
			mapped, err := sanitizeValue(item, allowed)
			if err != nil {
				return nil, err
			}
			out[i] = mapped
		}
		return out, nil
	}
	return v, nil
}

// checkKey returns key when allowed, or the plugin's refusal.
func checkKey(key string, allowed []string) (string, error) {
	if slices.Contains(allowed, key) {
		return key, nil
	}
	if slices.Contains(storedFields, key) || slices.Contains(storedFields, rootOf(key)) {
		return "", forbiddenSearchField(key)
	}
	return "", forbiddenSearchKeyword(key)
}

// rootOf is the first segment of a dotted path.
func rootOf(key string) string {
	for i := range len(key) {
		if key[i] == '.' {
			return key[:i]
		}
	}
	return key
}
