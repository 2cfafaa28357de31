package koncorde

import (
	"fmt"

	"github.com/starlingmq/starling/internal/jsonx"
)

// ExternalFilters resolves the filters named by the wasm keyword, e.g.
// {"wasm": {"module": "geo", "filter": "inZone", "args": {...}}}. Resolve
// gets the module and filter names and the canonical JSON of args (null
// when absent); it runs when a filter using them is validated or
// normalized, and its error rejects the filter.
type ExternalFilters interface {
	Resolve(module, name string, args []byte) (ExternalFilter, error)
}

// ExternalFilter is one resolved external filter. Test gets the document
// as JSON: the bytes given to TestJSON or ParseDocument as they are, or
// the encoding of a decoded document, made once; it must not modify
// them and may be called from several goroutines at once. An error or a
// panic makes the test fail whatever the polarity: the term holding the
// condition, negated or not, does not match.
type ExternalFilter interface {
	Test(doc []byte) (bool, error)
}

// WithExternalFilters enables the wasm keyword, resolved by x. Without it
// the keyword is unknown, as it is to koncorde.
func WithExternalFilters(x ExternalFilters) Option {
	return func(e *Engine) { e.ext = x }
}

// external is the wasm keyword's condition: what names the filter and,
// once resolved, the filter.
type external struct {
	module, name string
	args         []byte // canonical JSON
	path         string // in the filter, for errors
	filter       ExternalFilter
}

// parseWasm validates the wasm keyword: module and filter names, optional
// args of any JSON type.
func parseWasm(v any, path string) (*node, error) {
	o, err := expectObject(v, path, objectRules{
		required: []string{"module", "filter"},
		allowed:  []string{"args", "filter", "module"},
	})
	if err != nil {
		return nil, err
	}
	module, err := expectString(o["module"], join(path, "module"))
	if err != nil {
		return nil, err
	}
	name, err := expectString(o["filter"], join(path, "filter"))
	if err != nil {
		return nil, err
	}
	args := o["args"]
	x := &external{module: module, name: name, args: []byte(canonicalJSON(args)), path: path}
	key := "wasm:" + canonicalJSON(map[string]any{"module": module, "filter": name, "args": args})
	return leaf(&condition{kw: kwExternal, key: key, rareCondition: &rareCondition{ext: x}}), nil
}

// resolveExternal resolves the wasm conditions of a tree, select queries
// included; without external filters the keyword is unknown.
func (e *Engine) resolveExternal(n *node) error {
	if n == nil {
		return nil
	}
	if n.op != opCond {
		for _, k := range n.kids {
			if err := e.resolveExternal(k); err != nil {
				return err
			}
		}
		return nil
	}
	switch c := n.cond; c.kw {
	case kwSelect:
		if c.query.pending != nil {
			return e.resolveExternal(c.query.pending)
		}
	case kwExternal:
		if e.ext == nil {
			return dslError(c.ext.path, "unknown keyword")
		}
		f, err := resolve(e.ext, c.ext)
		if err != nil {
			return dslError(c.ext.path, fmt.Sprintf("cannot resolve filter %q of module %q: %v", c.ext.name, c.ext.module, err))
		}
		c.ext.filter = f
	}
	return nil
}

// hasExternal reports whether a tree uses the wasm keyword, select
// queries included.
func hasExternal(n *node) bool {
	if n == nil {
		return false
	}
	if n.op != opCond {
		for _, k := range n.kids {
			if hasExternal(k) {
				return true
			}
		}
		return false
	}
	switch c := n.cond; c.kw {
	case kwSelect:
		return c.query.pending != nil && hasExternal(c.query.pending)
	case kwExternal:
		return true
	}
	return false
}

// resolve calls Resolve, a panic being an error.
func resolve(xs ExternalFilters, x *external) (f ExternalFilter, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("panic: %v", r)
		}
	}()
	f, err = xs.Resolve(x.module, x.name, x.args)
	if err == nil && f == nil {
		err = fmt.Errorf("no filter")
	}
	return f, err
}

// test runs the filter; failed reports an error or a panic.
func (x *external) test(doc []byte) (match, failed bool) {
	defer func() {
		if recover() != nil {
			match, failed = false, true
		}
	}()
	m, err := x.filter.Test(doc)
	if err != nil {
		return false, true
	}
	return m, false
}

// plainValue turns the objects of a document read from JSON back into
// maps, for encoding.
func plainValue(v any) any {
	switch x := v.(type) {
	case *object:
		m := make(map[string]any, len(x.members))
		for _, f := range x.members {
			m[f.path] = plainValue(f.any())
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plainValue(e)
		}
		return out
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = plainValue(e)
		}
		return m
	}
	return v
}

// json returns the document as JSON for external filters, computed once.
func (d *document) json() []byte {
	d.once.Do(func() {
		switch {
		case d.raw != nil:
		case d.parsed:
			d.raw = []byte(d.src)
		default:
			raw, err := jsonx.Marshal(plainValue(d.body))
			if err != nil {
				raw = []byte("null")
			}
			d.raw = raw
		}
	})
	return d.raw
}
