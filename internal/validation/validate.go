package validation

import (
	"sort"
	"strings"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/koncorde"
)

// Write is one document write to validate.
type Write struct {
	// ID is the document's id, "" when it has none yet; the validators
	// filter sees it as _id.
	ID string
	// Body is the request's body: the whole document, or the changes of an
	// update.
	Body map[string]any
	// Update is true for document:update (and the like): the document
	// checked is Body merged over Stored, and defaults fill only null
	// fields.
	Update bool
	// Stored is the stored document of an update (its _source).
	Stored map[string]any
}

// document returns what the rules apply to: the body, or for an update the
// body merged over the stored document (Kuzzle's _.defaultsDeep).
func (w Write) document() map[string]any {
	if !w.Update {
		return w.Body
	}
	merged, _ := clone(w.Body).(map[string]any)
	if merged == nil {
		merged = map[string]any{}
	}
	DefaultsDeep(merged, w.Stored)
	return merged
}

// Check is Kuzzle's validation before a write: it returns the body with
// the default values applied (a new map; w.Body is not modified), or the
// first problem as validation.check.failed_field (field path and message)
// or validation.check.failed_document.
func (s *Specification) Check(w Write) (map[string]any, error) {
	if s == nil {
		return w.Body, nil
	}
	r := s.run(w, false)
	if r.err != nil {
		return nil, r.err
	}
	if s.root == nil {
		return w.Body, nil
	}
	body, _ := clone(w.Body).(map[string]any)
	return applyDefaults(w.Update, body, s.root), nil
}

// Result is document:validate's answer.
type Result struct {
	ErrorMessages ErrorMessages `json:"errorMessages"`
	Valid         bool          `json:"valid"`
}

// ErrorMessages holds document:validate's messages: those about the whole
// document, and a tree of the fields' messages.
type ErrorMessages struct {
	FieldScope    *FieldMessages `json:"fieldScope,omitempty"`
	DocumentScope []string       `json:"documentScope,omitempty"`
}

// FieldMessages is one node of the fields' messages: the messages of the
// field and those of its children, by name.
type FieldMessages struct {
	Children      *OrderedFields `json:"children,omitempty"`
	Messages      []string       `json:"messages,omitempty"`
	messagesFirst bool
}

// MarshalJSON keeps the order in which Kuzzle created the node's keys.
func (f *FieldMessages) MarshalJSON() ([]byte, error) {
	if f.messagesFirst && f.Children != nil {
		return jsonx.Marshal(struct {
			Messages []string       `json:"messages"`
			Children *OrderedFields `json:"children"`
		}{f.Messages, f.Children})
	}
	type plain FieldMessages
	return jsonx.Marshal((*plain)(f))
}

// OrderedFields maps field names to their messages, in the order the
// messages came.
type OrderedFields struct {
	Names []string
	Nodes map[string]*FieldMessages
}

// MarshalJSON writes the fields in order.
func (o *OrderedFields) MarshalJSON() ([]byte, error) {
	out := []byte{'{'}
	for i, name := range o.Names {
		if i > 0 {
			out = append(out, ',')
		}
		out = jsonx.AppendString(out, name)
		node, err := jsonx.Marshal(o.Nodes[name])
		if err != nil {
			return nil, err
		}
		out = append(append(out, ':'), node...)
	}
	return append(out, '}'), nil
}

// Verbose is document:validate: every problem of the document, without
// defaults applied.
func (s *Specification) Verbose(w Write) Result {
	if s == nil {
		return Result{Valid: true}
	}
	r := s.run(w, true)
	return Result{ErrorMessages: r.messages, Valid: r.valid}
}

// run validates a write; non-verbose runs stop at the first problem, which
// is r.err.
type run struct {
	verbose  bool
	valid    bool
	messages ErrorMessages
	err      error
}

// report records one problem: path nil for the document scope.
func (r *run) report(path []string, msg string) {
	r.valid = false
	if !r.verbose {
		if r.err != nil {
			return
		}
		if path == nil {
			r.err = kerror.New("validation.check.failed_document", msg)
		} else {
			r.err = kerror.New("validation.check.failed_field", strings.Join(path, "."), msg)
		}
		return
	}
	if path == nil {
		r.messages.DocumentScope = append(r.messages.DocumentScope, msg)
		return
	}
	if r.messages.FieldScope == nil {
		r.messages.FieldScope = &FieldMessages{}
	}
	node := r.messages.FieldScope
	for _, step := range path {
		if node.Children == nil {
			node.Children = &OrderedFields{Nodes: map[string]*FieldMessages{}}
			node.messagesFirst = node.Messages != nil
		}
		next := node.Children.Nodes[step]
		if next == nil {
			next = &FieldMessages{}
			node.Children.Names = append(node.Children.Names, step)
			node.Children.Nodes[step] = next
		}
		node = next
	}
	node.Messages = append(node.Messages, msg)
}

func (s *Specification) run(w Write, verbose bool) *run {
	r := &run{verbose: verbose, valid: true}
	doc := w.document()
	if s.root != nil {
		if field := unexpectedField(doc, s.root, s.strict); field != "" {
			r.report(nil, `The document validation is strict. Cannot add unspecified sub-field "`+field+`"`)
		} else {
			r.fields(doc, s.root, s.strict)
		}
	}
	if r.err != nil {
		return r
	}
	if s.validatorID != "" && !s.matches(doc, w.ID) {
		r.report(nil, "The document does not match validation filters.")
	}
	return r
}

func (s *Specification) matches(doc map[string]any, id string) bool {
	for _, got := range s.engine.TestDocument(s.index, s.collection, koncorde.NewDocument(doc, id)) {
		if got == s.validatorID {
			return true
		}
	}
	return false
}

// objectPrototype holds the names a JavaScript object inherits: Kuzzle's
// strictness test (spec[field] truthy) lets them through.
var objectPrototype = []string{
	"constructor", "__defineGetter__", "__defineSetter__", "hasOwnProperty", "__lookupGetter__",
	"__lookupSetter__", "isPrototypeOf", "propertyIsEnumerable", "toString", "valueOf", "__proto__",
	"toLocaleString",
}

// unexpectedField returns a field of doc the level does not specify, ""
// when there is none or the level is not strict.
func unexpectedField(doc map[string]any, level *children, strict bool) string {
	if !strict {
		return ""
	}
	keys := make([]string, 0, len(doc))
	for k := range doc {
		if level.byName[k] == nil && !contains(objectPrototype, k) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return ""
	}
	sort.Strings(keys)
	return jsKeyOrder(keys)[0]
}

// fields is recurseFieldValidation past the strictness test.
func (r *run) fields(doc map[string]any, level *children, strict bool) bool {
	ok := true
	for _, name := range level.names {
		if !r.field(doc, name, level.byName[name], strict) {
			ok = false
			if !r.verbose {
				return false
			}
		}
	}
	return ok
}

// field is isValidField.
func (r *run) field(doc map[string]any, name string, f *Field, strict bool) bool {
	v := doc[name]
	if v == nil {
		if f.mandatory && !f.hasDefault {
			r.report(f.path, "The field is mandatory.")
			return false
		}
		return true
	}
	values, ok := r.values(v, f)
	if !ok {
		return false
	}
	nested := strict
	if f.strict != nil {
		nested = *f.strict
	}
	result := true
	for _, val := range values {
		if msgs := f.check(val); len(msgs) > 0 {
			for _, m := range msgs {
				r.report(f.path, m)
			}
			return false
		}
		if f.children == nil {
			continue
		}
		child := val.(map[string]any) // object is the only type with children
		if field := unexpectedField(child, f.children, nested); field != "" {
			r.report(f.path, `The field is set to "strict"; cannot add unspecified sub-field "`+field+`".`)
			result = false
		} else if !r.fields(child, f.children, nested) {
			result = false
		}
		if !result && !r.verbose {
			return false
		}
	}
	return result
}

// values checks the field's cardinality and returns its values.
func (r *run) values(v any, f *Field) ([]any, bool) {
	list, isArray := v.([]any)
	if !f.multivalued {
		if isArray {
			r.report(f.path, "The field is not a multivalued field; Multiple values provided.")
			return nil, false
		}
		return []any{v}, true
	}
	if !isArray {
		r.report(f.path, "The field must be multivalued, unary value provided.")
		return nil, false
	}
	n := float64(len(list))
	if f.hasMin && n < toNumber(f.minCount) {
		r.report(f.path, "Not enough elements. Minimum count is set to "+jsString(f.minCount)+".")
		return nil, false
	}
	if f.hasMax && n > toNumber(f.maxCount) {
		r.report(f.path, "Too many elements. Maximum count is set to "+jsString(f.maxCount)+".")
		return nil, false
	}
	return list, true
}

// applyDefaults is recurseApplyDefault: truthy defaults fill missing
// fields (null ones only, for an update), down the object fields present.
func applyDefaults(update bool, doc map[string]any, level *children) map[string]any {
	for _, name := range level.names {
		f := level.byName[name]
		v, present := doc[name]
		if present && f.children != nil {
			switch x := v.(type) {
			case []any:
				for _, e := range x {
					if m, ok := e.(map[string]any); ok {
						applyDefaults(update, m, f.children)
					}
				}
			case map[string]any:
				applyDefaults(update, x, f.children)
			}
			continue
		}
		if truthy(f.defaultValue) && (present && v == nil || !update && !present) {
			doc[name] = clone(f.defaultValue)
		}
	}
	return doc
}

// DefaultsDeep fills dst with src's values where dst has none, recursing
// into objects and arrays both hold (lodash's _.defaultsDeep, which Kuzzle
// uses to merge an update's changes over the stored document): arrays
// merge index by index, a shorter dst array taking src's extra items.
// Values taken from src are copied.
func DefaultsDeep(dst, src map[string]any) {
	for k, sv := range src {
		dv, ok := dst[k]
		if !ok {
			dst[k] = clone(sv)
			continue
		}
		dst[k] = mergeDefaults(dv, sv)
	}
}

func mergeDefaults(dv, sv any) any {
	switch d := dv.(type) {
	case map[string]any:
		if s, ok := sv.(map[string]any); ok {
			DefaultsDeep(d, s)
		}
	case []any:
		s, ok := sv.([]any)
		if !ok {
			return d
		}
		for i := 0; i < len(d) && i < len(s); i++ {
			d[i] = mergeDefaults(d[i], s[i])
		}
		for i := len(d); i < len(s); i++ {
			d = append(d, clone(s[i]))
		}
		return d
	}
	return dv
}
