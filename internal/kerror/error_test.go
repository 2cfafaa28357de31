package kerror

import "testing"

func TestNew(t *testing.T) {
	tests := []struct {
		id           string
		placeholders []any
		code, status int
		message      string
	}{
		{"api.assert.missing_argument", []any{"index"}, 33619971, 400, `Missing argument "index".`},
		{"api.process.action_not_found", []any{"server", "nope"}, 33685509, 404, `API action "server":"nope" not found`},
		{"core.realtime.too_many_terms", []any{100, 150}, 65542, 413, "Unable to subscribe: maximum number of terms exceeded (max 100, received 150)."},
		{"api.assert.invalid_type", []any{"body.roomId"}, 33619969, 400, `Wrong type for argument "body.roomId" (expected: %s)`}, // missing value kept, as util.format does
		{"api.assert.body_required", []any{"extra"}, 33619976, 400, "The request must specify a body. extra"},                    // surplus appended
		{"api.assert.unexpected_argument", []any{"x", []string{"a", "b"}}, 33619975, 400, `Unexpected argument "x" (accepted arguments: [ 'a', 'b' ])`},
		{"security.rights.forbidden", []any{"c", "a", "u"}, 117637122, 403, `Insufficient permissions to execute the action "c:a" (User "u").`},
		{"no.such.id", nil, 1, 500, "Caught an unexpected error: no.such.id."},
	}
	for _, tt := range tests {
		e := New(tt.id, tt.placeholders...)
		if e.Code != tt.code || e.Status != tt.status || e.Message != tt.message {
			t.Errorf("%s: got %d %d %q, want %d %d %q", tt.id, e.Code, e.Status, e.Message, tt.code, tt.status, tt.message)
		}
	}
	if e := WithMessage("custom", "api.assert.koncorde_dsl_error"); e.Message != "custom" || e.ID != "api.assert.koncorde_dsl_error" {
		t.Errorf("WithMessage: %+v", e)
	}
}
