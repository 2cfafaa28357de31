package validation

import (
	"strings"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
)

// Report is collection:validateSpecifications' answer: {valid: true}, or
// {description, details, valid: false} where details lists the problems
// found: messages (strings), or for a problem past the fields (nested
// fields that do not fit together, a bad validators filter) the Kuzzle
// error itself, serialized as an object.
type Report struct {
	Valid   bool
	Details []any // string or *kerror.Error
}

// MarshalJSON writes Kuzzle's shape.
func (r Report) MarshalJSON() ([]byte, error) {
	if r.Valid {
		return []byte(`{"valid":true}`), nil
	}
	return jsonx.Marshal(struct {
		Description string `json:"description"`
		Details     []any  `json:"details"`
		Valid       bool   `json:"valid"`
	}{"Some errors with provided specifications.", r.Details, false})
}

// Err is collection:updateSpecifications' error for an invalid
// specification (validation.assert.invalid_specifications listing the
// problems), nil for a valid one.
func (r Report) Err() error {
	if r.Valid {
		return nil
	}
	lines := make([]string, len(r.Details))
	for i, d := range r.Details {
		switch x := d.(type) {
		case string:
			lines[i] = x
		case *kerror.Error:
			// JavaScript's String(error): the class name, then the message.
			lines[i] = className(x.Status) + ": " + x.Message
		}
	}
	return kerror.New("validation.assert.invalid_specifications", strings.Join(lines, "\n\t- "))
}

func className(status int) string {
	switch status {
	case 400:
		return "BadRequestError"
	case 404:
		return "NotFoundError"
	case 412:
		return "PreconditionError"
	case 413:
		return "SizeLimitError"
	}
	return "InternalError"
}

// Check checks a specification as collection:validateSpecifications and
// updateSpecifications do (Kuzzle's validateFormat, verbose): every
// field's problems are listed, not only the first. A valid report's
// specification is returned too, nil otherwise.
func Check(index, collection string, raw []byte) (*Specification, Report) {
	c := &curator{index: index, collection: collection}
	s, err := c.specification(raw, true)
	if err != nil {
		ke, ok := err.(*kerror.Error)
		if !ok {
			ke = kerror.New("core.fatal.unexpected_error", err.Error())
		}
		return nil, Report{Details: []any{ke}}
	}
	if s == nil || len(c.details) > 0 {
		return nil, Report{Details: c.details}
	}
	return s, Report{Valid: true}
}
