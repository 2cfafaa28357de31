package kerror

import (
	"fmt"
	"strconv"
	"strings"
)

// Error is a Kuzzle error as it travels on the wire: the response's "error"
// field. Build it with New or From; never by hand, so that ids, codes and
// statuses always come from the catalogue.
//
// Its JSON form is Kuzzle's, keys in Kuzzle's order, without a stack trace.
type Error struct {
	// Code is the numeric Kuzzle code derived from the id.
	Code int `json:"code"`
	// ID is the dotted Kuzzle error id, e.g. "api.assert.missing_argument".
	ID string `json:"id"`
	// Message is the catalogue template filled with the placeholders.
	Message string `json:"message"`
	// Props holds the placeholders the message was built from.
	Props []any `json:"props"`
	// Status is the HTTP-like status of the error's class.
	Status int `json:"status"`
	// Errors lists the failed items of a partial error (class Partial),
	// nil otherwise; Count is their number.
	Errors []any `json:"errors,omitempty"`
	Count  int   `json:"count,omitempty"`
}

// NewPartial builds the partial error id (class Partial) listing the items
// that failed, as Kuzzle's PartialError does.
func NewPartial(id string, failed []any, placeholders ...any) *Error {
	e := New(id, placeholders...)
	if failed == nil {
		failed = []any{}
	}
	e.Errors, e.Count = failed, len(failed)
	return e
}

// Error implements the error interface with the Kuzzle message.
func (e *Error) Error() string { return e.ID + ": " + e.Message }

// New builds the catalogued error id with its placeholders. An id missing
// from the catalogue is a programming error: it yields Kuzzle's own answer to
// that case, core.fatal.unexpected_error naming the unknown id.
func New(id string, placeholders ...any) *Error {
	def, ok := catalogue[id]
	if !ok {
		return New("core.fatal.unexpected_error", id)
	}
	if placeholders == nil {
		placeholders = []any{}
	}
	return &Error{
		Message: format(def.message, placeholders),
		Status:  def.class.Status(),
		ID:      id,
		Code:    int(def.domain<<24 | def.subdomain<<16 | def.err),
		Props:   placeholders,
	}
}

// WithMessage returns New(id, placeholders...) with its message replaced, as
// Kuzzle does when a thrown error carries its own text.
func WithMessage(message, id string, placeholders ...any) *Error {
	e := New(id, placeholders...)
	e.Message = message
	return e
}

// Known reports whether id is in the catalogue.
func Known(id string) bool {
	_, ok := catalogue[id]
	return ok
}

// format fills %s placeholders the way Node's util.format does: missing
// values leave "%s" in place, surplus values are appended after a space.
func format(template string, values []any) string {
	var b strings.Builder
	b.Grow(len(template) + 16*len(values))
	next := 0
	for i := 0; i < len(template); i++ {
		c := template[i]
		if c != '%' || i+1 == len(template) {
			b.WriteByte(c)
			continue
		}
		switch template[i+1] {
		case 's':
			if next < len(values) {
				b.WriteString(text(values[next]))
				next++
			} else {
				b.WriteString("%s")
			}
			i++
		case '%':
			b.WriteByte('%')
			i++
		default:
			b.WriteByte(c)
		}
	}
	for ; next < len(values); next++ {
		b.WriteByte(' ')
		b.WriteString(text(values[next]))
	}
	return b.String()
}

// text renders one placeholder like Node's %s.
func text(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case []string:
		quoted := make([]string, len(x))
		for i, s := range x {
			quoted[i] = "'" + s + "'"
		}
		return "[ " + strings.Join(quoted, ", ") + " ]"
	case error:
		return x.Error()
	case nil:
		return "null"
	default:
		return fmt.Sprint(x)
	}
}
