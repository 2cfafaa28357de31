package documents

import (
	"context"
	"slices"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/store"
)

// index is Kuzzle's index controller.
func (c *controllers) index() api.Controller {
	return api.Controller{Name: "index", Actions: map[string]api.Action{
		"create":  c.indexCreate,
		"delete":  c.indexDelete,
		"exists":  c.indexExists,
		"list":    c.indexList,
		"mDelete": c.indexMDelete,
		"stats":   c.indexStats,
	}}
}

func (c *controllers) indexCreate(ctx context.Context, req *api.Request) (any, error) {
	index, kerr := req.RequiredIndex()
	if kerr != nil {
		return nil, kerr
	}
	if !validName(index) {
		return nil, kerror.New("services.storage.invalid_index_name", index)
	}
	if err := c.Store.CreateIndex(ctx, index); err != nil {
		return nil, err
	}
	return nil, nil
}

func (c *controllers) indexDelete(ctx context.Context, req *api.Request) (any, error) {
	index, err := indexArg(req)
	if err != nil {
		return nil, err
	}
	if ok, err := c.Store.HasIndex(ctx, index); err != nil {
		return nil, err
	} else if !ok {
		return nil, kerror.New("services.storage.unknown_index", index)
	}
	if _, err := c.Store.DeleteIndexes(ctx, []string{index}); err != nil {
		return nil, err
	}
	if err := c.dropIndexSpecifications(ctx, index); err != nil {
		return nil, err
	}
	return api.Compact(`{"acknowledged":true}`), nil
}

func (c *controllers) indexExists(ctx context.Context, req *api.Request) (any, error) {
	index, kerr := req.RequiredIndex()
	if kerr != nil {
		return nil, kerr
	}
	if internal(index) {
		return false, nil
	}
	return c.Store.HasIndex(ctx, index)
}

// publicIndexes lists the indexes clients see.
func (c *controllers) publicIndexes(ctx context.Context) ([]string, error) {
	all, err := c.Store.ListIndexes(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, internal), nil
}

func (c *controllers) indexList(ctx context.Context, req *api.Request) (any, error) {
	count, kerr := req.Boolean("countCollection")
	if kerr != nil {
		return nil, kerr
	}
	indexes, err := c.publicIndexes(ctx)
	if err != nil {
		return nil, err
	}
	type listed struct {
		Indexes     []string       `json:"indexes"`
		Collections map[string]int `json:"collections,omitempty"`
	}
	out := listed{Indexes: indexes}
	if count {
		out.Collections = make(map[string]int, len(indexes))
		for _, index := range indexes {
			cols, err := c.Store.ListCollections(ctx, index)
			if err != nil {
				return nil, err
			}
			out.Collections[index] = len(cols)
		}
	}
	return out, nil
}

func (c *controllers) indexMDelete(ctx context.Context, req *api.Request) (any, error) {
	raw, kerr := req.BodyField("indexes")
	if kerr != nil {
		return nil, kerr
	}
	var wanted []string
	if raw != nil {
		if jsonx.Unmarshal(raw, &wanted) != nil {
			return nil, kerror.New("api.assert.invalid_type", "body.indexes", "array")
		}
	}
	indexes, err := c.publicIndexes(ctx)
	if err != nil {
		return nil, err
	}
	indexes = slices.DeleteFunc(indexes, func(i string) bool { return !slices.Contains(wanted, i) })
	deleted, err := c.Store.DeleteIndexes(ctx, indexes)
	if err != nil {
		return nil, err
	}
	for _, index := range deleted {
		if err := c.dropIndexSpecifications(ctx, index); err != nil {
			return nil, err
		}
	}
	if deleted == nil {
		deleted = []string{}
	}
	return map[string][]string{"deleted": deleted}, nil
}

func (c *controllers) indexStats(ctx context.Context, _ *api.Request) (any, error) {
	stats, err := c.Store.Stats(ctx)
	if err != nil {
		return nil, err
	}
	stats.Indexes = slices.DeleteFunc(stats.Indexes, func(s store.IndexStats) bool { return internal(s.Name) })
	return stats, nil
}
