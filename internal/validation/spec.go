package validation

import (
	"sort"
	"strconv"
	"strings"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/koncorde"
)

// maxValidatorConditions is the conditions limit of the Koncorde instance
// Kuzzle checks validators with (koncorde's default, Kuzzle passes none).
const maxValidatorConditions = 50

// Specification is one collection's curated specification. It is
// immutable once parsed and safe for concurrent use. A nil *Specification
// stands for a collection without one: every document passes.
type Specification struct {
	index, collection string
	raw               jsonx.RawMessage // the specification as given

	strict bool
	root   *children // nil: no field rules
	// validators is the filter the document must match, stored in its own
	// engine; validatorID is "" when the specification has none.
	engine      *koncorde.Engine
	validatorID string
}

// Field is one curated field specification.
type Field struct {
	path      []string
	typ       string
	mandatory bool
	// defaultValue is set when hasDefault; Kuzzle applies it only when
	// truthy but lets any default satisfy mandatory.
	defaultValue any
	hasDefault   bool

	multivalued        bool
	minCount, maxCount any // compared as JavaScript does
	hasMin, hasMax     bool

	check    checker
	strict   *bool // an object's typeOptions.strict; nil inherits
	children *children
}

// children is the ordered set of a level's field specifications.
type children struct {
	names  []string
	byName map[string]*Field
}

func (c *children) add(name string, f *Field) {
	if _, ok := c.byName[name]; !ok {
		c.names = append(c.names, name)
	}
	c.byName[name] = f
}

// Index and Collection name where the specification applies.
func (s *Specification) Index() string { return s.index }

// Collection names where the specification applies.
func (s *Specification) Collection() string { return s.collection }

// Raw returns the specification as it was given (never modified).
func (s *Specification) Raw() jsonx.RawMessage { return s.raw }

// MarshalJSON writes the document Kuzzle stores for a specification and
// returns from collection:getSpecifications: {collection, index,
// validation}.
func (s *Specification) MarshalJSON() ([]byte, error) {
	return jsonx.Marshal(struct {
		Collection string           `json:"collection"`
		Index      string           `json:"index"`
		Validation jsonx.RawMessage `json:"validation"`
	}{s.collection, s.index, s.raw})
}

// Parse curates a specification as Kuzzle does when it loads the stored
// ones: the first problem is the error, a *kerror.Error with Kuzzle's id
// (validation.assert.*, validation.types.*).
func Parse(index, collection string, raw []byte) (*Specification, error) {
	c := &curator{index: index, collection: collection}
	s, err := c.specification(raw, false)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// curator builds a specification, failing fast or, when verbose,
// collecting the messages of every field's errors as Kuzzle's
// validateFormat does.
type curator struct {
	index, collection string
	verbose           bool
	details           []any // strings and *kerror.Error
	probe             *koncorde.Engine
}

// fail records err when verbose and returns nil; otherwise it returns err.
func (c *curator) fail(err *kerror.Error) error {
	if !c.verbose {
		return err
	}
	c.details = append(c.details, err.Message)
	return nil
}

func (c *curator) name(parts ...string) string {
	return strings.Join(append([]string{c.index, c.collection}, parts...), ".")
}

// specification is curateCollectionSpecification. In verbose mode a nil
// specification with a nil error means c.details holds the problems.
func (c *curator) specification(raw []byte, verbose bool) (*Specification, error) {
	c.verbose = verbose
	c.probe = koncorde.New(koncorde.WithMaxConditions(maxValidatorConditions))
	var spec any
	if err := jsonx.Unmarshal(raw, &spec); err != nil {
		return nil, kerror.New("validation.assert.unexpected_properties", c.name(), "strict, fields, validators")
	}
	allowed := []string{"strict", "fields", "validators"}
	if !onlyKeys(spec, allowed...) {
		err := kerror.New("validation.assert.unexpected_properties", c.name(), strings.Join(allowed, ", "))
		if verbose {
			c.details = append(c.details, err.Message)
			return nil, nil
		}
		return nil, err
	}
	o := spec.(map[string]any)
	s := &Specification{
		index: c.index, collection: c.collection, raw: append(jsonx.RawMessage(nil), raw...),
		strict: truthy(o["strict"]), engine: c.probe,
	}
	if truthy(o["fields"]) {
		root, err := c.fields(raw, o["fields"])
		if err != nil || root == nil && len(c.details) > 0 {
			return nil, err
		}
		s.root = root
	}
	if v, ok := o["validators"].([]any); ok {
		id, err := c.validators(v)
		if err != nil {
			return nil, err
		}
		s.validatorID = id
	}
	return s, nil
}

// validators checks and stores the validators filter.
func (c *curator) validators(v []any) (string, error) {
	filter := map[string]any{"bool": map[string]any{"must": v}}
	id, err := c.probe.Register(c.index, c.collection, filter)
	if err != nil {
		msg := err.Error()
		if ke, ok := err.(*kerror.Error); ok {
			msg = ke.Message
		}
		return "", kerror.New("validation.assert.invalid_filters", msg)
	}
	return id, nil
}

// fields is structureCollectionValidation: every field curated, then the
// tree of nested fields built level by level.
func (c *curator) fields(raw []byte, fields any) (*children, error) {
	names, specs := fieldEntries(raw, fields)
	byDepth := map[int][]*Field{}
	maxDepth, failed := 0, false
	for i, name := range names {
		f, err := c.field(name, specs[i])
		if err != nil {
			return nil, err
		}
		if f == nil {
			failed = true
			continue
		}
		byDepth[len(f.path)] = append(byDepth[len(f.path)], f)
		maxDepth = max(maxDepth, len(f.path))
	}
	if failed {
		return nil, nil
	}
	if maxDepth == 0 {
		return nil, nil
	}
	return buildTree(byDepth, maxDepth)
}

// fieldEntries lists the field specifications in Object.keys order.
func fieldEntries(raw []byte, fields any) ([]string, []any) {
	switch x := fields.(type) {
	case map[string]any:
		var top map[string]jsonx.RawMessage
		var names []string
		if jsonx.Unmarshal(raw, &top) == nil {
			names, _ = objectKeys(top["fields"])
		}
		if len(names) != len(x) { // not reached for valid JSON
			names = sortedKeys(x)
		}
		specs := make([]any, len(names))
		for i, n := range names {
			specs[i] = x[n]
		}
		return names, specs
	case []any:
		names := make([]string, len(x))
		for i := range x {
			names[i] = strconv.Itoa(i)
		}
		return names, x
	case string:
		var names []string
		var specs []any
		for i, r := range []rune(x) {
			names = append(names, strconv.Itoa(i))
			specs = append(specs, string(r))
		}
		return names, specs
	}
	return nil, nil
}

// buildTree is curateStructuredFields: each level's fields are attached to
// their parent, which must exist and accept children.
func buildTree(byDepth map[int][]*Field, maxDepth int) (*children, error) {
	root := &children{byName: map[string]*Field{}}
	for depth := 1; depth <= maxDepth; depth++ {
		level, ok := byDepth[depth]
		if !ok {
			return nil, kerror.New("validation.assert.missing_nested_spec")
		}
		for _, f := range level {
			parent := root
			if depth > 1 {
				p, err := parentOf(root, f.path)
				if err != nil {
					return nil, err
				}
				if !builtinTypes[p.typ].children {
					return nil, kerror.New("validation.assert.unexpected_children", p.typ)
				}
				if p.children == nil {
					p.children = &children{byName: map[string]*Field{}}
				}
				parent = p.children
			}
			parent.add(f.path[len(f.path)-1], f)
		}
	}
	return root, nil
}

func parentOf(root *children, path []string) (*Field, error) {
	level := root
	var f *Field
	for _, step := range path[:len(path)-1] {
		if level == nil || level.byName[step] == nil {
			return nil, kerror.New("validation.assert.missing_parent", strings.Join(path, "."))
		}
		f = level.byName[step]
		level = f.children
	}
	return f, nil
}

func sortedKeys(o map[string]any) []string {
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return jsKeyOrder(keys)
}
