package documents

import (
	"context"
	"strconv"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/store"
)

// bulkQuery reads the collection and the required body.query of the bulk
// by-query actions (Elasticsearch's language only) and parses the query.
func (c *controllers) bulkQuery(ctx context.Context, req *api.Request) (string, string, jsonx.RawMessage, error) {
	index, collection, err := target(req)
	if err != nil {
		return "", "", nil, err
	}
	raw, err := bodyObject(req, "query", true)
	return index, collection, raw, err
}

// bulkDeleteByQuery deletes every matching document without Kuzzle's write
// limit, without fetching them and without notifications: {deleted: n}.
func (c *controllers) bulkDeleteByQuery(ctx context.Context, req *api.Request) (any, error) {
	index, collection, raw, err := c.bulkQuery(ctx, req)
	if err != nil {
		return nil, err
	}
	q, err := c.parseQuery(ctx, index, collection, raw, "elasticsearch")
	if err != nil {
		return nil, err
	}
	done, failed, err := c.writeMatching(ctx, index, collection, q, 0,
		func(store.Hit) store.Op { return store.Op{Kind: store.OpDelete} })
	if err != nil {
		return nil, err
	}
	if err := firstConflict(failed); err != nil {
		return nil, err
	}
	return map[string]int{"deleted": len(done)}, nil
}

// bulkUpdateByQuery applies changes to every matching document without
// Kuzzle's write limit, without touching _kuzzle_info and without
// notifications: {updated: n}; services.storage.incomplete_update when
// some could not be updated.
func (c *controllers) bulkUpdateByQuery(ctx context.Context, req *api.Request) (any, error) {
	index, collection, raw, err := c.bulkQuery(ctx, req)
	if err != nil {
		return nil, err
	}
	changes, err := bodyObject(req, "changes", true)
	if err != nil {
		return nil, err
	}
	q, err := c.parseQuery(ctx, index, collection, raw, "elasticsearch")
	if err != nil {
		return nil, err
	}
	done, failed, err := c.writeMatching(ctx, index, collection, q, 0,
		func(store.Hit) store.Op { return store.Op{Kind: store.OpUpdate, Body: changes, NoMeta: true} })
	if err != nil {
		return nil, err
	}
	for _, w := range failed {
		if !isNotFound(w.res.Err) {
			return nil, kerror.New("services.storage.incomplete_update", strconv.Itoa(len(done)))
		}
	}
	return map[string]int{"updated": len(done)}, nil
}

// updatedFields lists the dotted paths of the leaves of an update's
// changes, in their order, _kuzzle_info keys aside, as Kuzzle's
// extractFields does for the _updatedFields of notifications.
func updatedFields(raw []byte, dst []string, prefix string) []string {
	for _, m := range members(raw) {
		if m.key == "_kuzzle_info" {
			continue
		}
		path := m.key
		if prefix != "" {
			path = prefix + "." + m.key
		}
		if len(m.value) > 0 && m.value[0] == '{' {
			dst = updatedFields(m.value, dst, path)
			continue
		}
		dst = append(dst, path)
	}
	return dst
}

// member is one key of a JSON object and its raw value.
type member struct {
	key   string
	value []byte
}

// members returns the members of a JSON object in their order; nil when
// raw is no valid object.
func members(raw []byte) []member {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return nil
	}
	var out []member
	i = skipSpace(raw, i+1)
	for i < len(raw) && raw[i] == '"' {
		end := skipValue(raw, i)
		var key string
		if jsonx.Unmarshal(raw[i:end], &key) != nil {
			return nil
		}
		i = skipSpace(raw, end)
		if i >= len(raw) || raw[i] != ':' {
			return nil
		}
		start := skipSpace(raw, i+1)
		end = skipValue(raw, start)
		out = append(out, member{key: key, value: raw[start:end]})
		i = skipSpace(raw, end)
		if i < len(raw) && raw[i] == ',' {
			i = skipSpace(raw, i+1)
		}
	}
	return out
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the end of the JSON value starting at i.
func skipValue(b []byte, i int) int {
	depth := 0
	for ; i < len(b); i++ {
		switch b[i] {
		case '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
			if depth == 0 {
				return i + 1
			}
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1
			}
			if depth < 0 {
				return i
			}
		case ',', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return i
			}
		}
	}
	return i
}
