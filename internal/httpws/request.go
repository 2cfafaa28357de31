package httpws

import (
	"net/http"
	"strings"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
)

// route maps an HTTP request onto a Kuzzle request payload, as Kuzzle's
// router does. When the router answers itself (unknown verb or URL, the
// health routes, OPTIONS) it returns that answer instead, as local.
func (s *Server) route(r *http.Request, requestID string, content jsonx.RawMessage) (payload, local []byte) {
	if _, known := s.router.verbs[r.Method]; !known {
		if r.Method == http.MethodOptions {
			return nil, s.envelope(requestID, api.Compact("{}"), nil)
		}
		return nil, s.envelope(requestID, nil, kerror.New("network.http.unsupported_verb", r.Method))
	}
	t, args := s.router.match(r.Method, r.URL.EscapedPath())
	if t == nil {
		return nil, s.envelope(requestID, nil, kerror.New("network.http.url_not_found", strings.TrimSuffix(r.URL.Path, "/")))
	}
	switch t.kind {
	case kindRoot:
		return nil, s.envelope(requestID, api.Compact("{}"), nil)
	case kindHealthcheck, kindReady:
		return nil, s.envelope(requestID, nil, nil)
	case kindQuery:
		return s.rawQuery(r, requestID, content)
	}
	fields, kerr := requestFields(r, requestID, content)
	if kerr != nil {
		return nil, s.envelope(requestID, nil, kerr)
	}
	for _, a := range args {
		fields[a.name] = jsonx.AppendString(nil, a.value)
	}
	fields["controller"] = jsonx.AppendString(nil, t.route.Controller)
	fields["action"] = jsonx.AppendString(nil, t.route.Action)
	encoded, err := jsonx.Marshal(fields)
	if err != nil {
		return nil, s.envelope(requestID, nil, kerror.New("network.http.unexpected_error", err.Error()))
	}
	return encoded, nil
}

// requestFields gathers what every route passes on: the body, the
// requestId, the query string, the bearer token and the volatile header.
func requestFields(r *http.Request, requestID string, content jsonx.RawMessage) (map[string]jsonx.RawMessage, *kerror.Error) {
	fields := map[string]jsonx.RawMessage{"requestId": jsonx.AppendString(nil, requestID), "body": jsonx.RawMessage("null")}
	if content != nil {
		fields["body"] = content
	}
	for k, v := range queryObject(r.URL.Query()) {
		encoded, err := jsonx.Marshal(v)
		if err != nil {
			return nil, kerror.New("network.http.unexpected_error", err.Error())
		}
		fields[k] = encoded
	}
	if jwt, ok := bearer(r); ok {
		fields["jwt"] = jsonx.AppendString(nil, jwt)
	}
	if v := r.Header.Get("X-Kuzzle-Volatile"); v != "" {
		if !jsonx.Valid([]byte(v)) {
			var x any
			return nil, kerror.New("network.http.volatile_parse_failed", jsonx.Unmarshal([]byte(v), &x).Error())
		}
		fields["volatile"] = jsonx.RawMessage(v)
	}
	return fields, nil
}

// bearer returns the token of an "Authorization: Bearer" header.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) < len("bearer ") || !strings.EqualFold(h[:len("bearer ")], "bearer ") {
		return "", false
	}
	return h[len("bearer "):], true
}

// rawQuery is POST /_query: the body is the request, run with the bearer
// token when it names none; the answer carries the HTTP requestId.
func (s *Server) rawQuery(r *http.Request, requestID string, content jsonx.RawMessage) (payload, local []byte) {
	fields := map[string]jsonx.RawMessage{}
	if content == nil || content[0] != '{' || jsonx.Unmarshal(content, &fields) != nil {
		return nil, s.envelope(requestID, nil, kerror.New("network.http.body_parse_failed", prefix(content)))
	}
	if jwt, ok := bearer(r); ok && fields["jwt"] == nil {
		fields["jwt"] = jsonx.AppendString(nil, jwt)
	}
	fields["requestId"] = jsonx.AppendString(nil, requestID)
	encoded, err := jsonx.Marshal(fields)
	if err != nil {
		return nil, s.envelope(requestID, nil, kerror.New("network.http.unexpected_error", err.Error()))
	}
	return encoded, nil
}

// envelope encodes an answer the listener makes itself: a result, or an
// error when kerr is not nil.
func (s *Server) envelope(requestID string, result any, kerr *kerror.Error) []byte {
	raw := append(jsonx.AppendString([]byte(`{"requestId":`), requestID), '}')
	req, _ := api.Parse(raw, api.Connection{Protocol: "http"})
	resp := api.Success(req, result, s.cfg.Node)
	if kerr != nil {
		resp = api.Failure(req, kerr, s.cfg.Node)
	}
	out, err := resp.AppendJSON(nil)
	if err != nil {
		s.log.Error("cannot encode an HTTP answer", "error", err)
		return []byte(`{"status":500}`)
	}
	return out
}
