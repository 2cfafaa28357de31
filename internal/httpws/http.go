package httpws

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
)

// Kuzzle's default http.accessControlAllow* values.
const (
	allowHeaders = "Content-Type, Access-Control-Allow-Headers, Authorization, X-Requested-With, Content-Encoding, Content-Length, X-Kuzzle-Volatile"
	allowMethods = "GET,POST,PUT,PATCH,DELETE,OPTIONS,HEAD"
)

var charsetPattern = regexp.MustCompile(`(?i)charset=([\w-]+)`)

// serveRequest answers one HTTP request as Kuzzle's HTTP protocol does.
func (s *Server) serveRequest(w http.ResponseWriter, r *http.Request) {
	connID := api.NewID()
	requestID := r.Header.Get("X-Kuzzle-Request-Id")
	if requestID == "" {
		requestID = connID
	}
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(s.cfg.ReadTimeout))
	content, kerr := s.readContent(r)
	if kerr != nil {
		s.writeRawError(w, r, kerr)
		return
	}
	payload, local := s.route(r, requestID, content)
	if local != nil {
		s.writeAnswer(w, r, requestID, local)
		return
	}
	reply := &httpReply{answer: make(chan []byte, 1)}
	s.handler.HTTP(payload, api.Connection{ID: connID, Protocol: "http"}, reply)
	select {
	case answer := <-reply.answer:
		s.writeAnswer(w, r, requestID, answer)
	case <-r.Context().Done():
	}
}

// httpReply takes the one answer of an HTTP request.
type httpReply struct{ answer chan []byte }

// Respond implements Responder.
func (h *httpReply) Respond(payload []byte) error {
	select {
	case h.answer <- bytes.Clone(payload):
	default: // answered already
	}
	return nil
}

// readContent reads, decompresses and decodes the body: nil when empty.
func (s *Server) readContent(r *http.Request) (jsonx.RawMessage, *kerror.Error) {
	limit := s.cfg.MaxRequestSize
	if r.ContentLength > int64(limit) {
		return nil, kerror.New("network.http.request_too_large")
	}
	ctype := r.Header.Get("Content-Type")
	if ctype != "" {
		base, _, _ := strings.Cut(ctype, ";")
		switch strings.TrimSpace(base) {
		case "application/json", "application/x-www-form-urlencoded", "multipart/form-data":
		default:
			return nil, kerror.New("network.http.unsupported_content", strings.TrimSpace(base))
		}
	}
	if m := charsetPattern.FindStringSubmatch(ctype); m != nil && strings.ToLower(m[1]) != "utf-8" {
		return nil, kerror.New("network.http.unsupported_charset", strings.ToLower(m[1]))
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, int64(limit)+1))
	if err != nil {
		return nil, kerror.New("network.http.unexpected_error", err.Error())
	}
	if len(data) > limit {
		return nil, kerror.New("network.http.request_too_large")
	}
	if len(data) == 0 {
		return nil, nil
	}
	data, kerr := s.uncompress(r.Header.Get("Content-Encoding"), data)
	if kerr != nil {
		return nil, kerr
	}
	return parseContent(ctype, data)
}

// uncompress undoes the Content-Encoding layers, the last one first; the
// result is bounded by MaxRequestSize too.
func (s *Server) uncompress(header string, data []byte) ([]byte, *kerror.Error) {
	if header == "" {
		return data, nil
	}
	encodings := strings.Split(header, ",")
	if len(encodings) > s.cfg.MaxEncodingLayers {
		return nil, kerror.New("network.http.too_many_encodings")
	}
	for i := len(encodings) - 1; i >= 0; i-- {
		var rd io.Reader
		var err error
		switch enc := strings.ToLower(strings.TrimSpace(encodings[i])); enc {
		case "identity":
			continue
		case "gzip":
			rd, err = gzip.NewReader(bytes.NewReader(data))
		case "deflate":
			rd, err = zlib.NewReader(bytes.NewReader(data))
		default:
			return nil, kerror.New("network.http.unsupported_compression", enc)
		}
		if !s.cfg.AllowCompression {
			return nil, kerror.New("network.http.compression_disabled")
		}
		if err == nil {
			data, err = io.ReadAll(io.LimitReader(rd, int64(s.cfg.MaxRequestSize)+1))
		}
		if err != nil {
			return nil, kerror.New("network.http.unexpected_error", err.Error())
		}
		if len(data) > s.cfg.MaxRequestSize {
			return nil, kerror.New("network.http.request_too_large")
		}
	}
	return data, nil
}

// parseContent decodes a body by its content type: JSON, a URL-encoded
// form or a multipart form (files as Kuzzle gives them: base64).
func parseContent(ctype string, data []byte) (jsonx.RawMessage, *kerror.Error) {
	switch {
	case strings.Contains(ctype, "multipart/form-data"):
		return parseMultipart(ctype, data)
	case strings.Contains(ctype, "application/x-www-form-urlencoded"):
		values, err := url.ParseQuery(string(data))
		if err != nil {
			return nil, kerror.New("network.http.body_parse_failed", prefix(data))
		}
		return marshal(queryObject(values))
	}
	if !jsonx.Valid(data) {
		return nil, kerror.New("network.http.body_parse_failed", prefix(data))
	}
	return data, nil
}

func parseMultipart(ctype string, data []byte) (jsonx.RawMessage, *kerror.Error) {
	_, params, err := mime.ParseMediaType(ctype)
	if err != nil || params["boundary"] == "" {
		return jsonx.RawMessage("{}"), nil
	}
	fields := map[string]any{}
	mr := multipart.NewReader(bytes.NewReader(data), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, kerror.New("network.http.body_parse_failed", prefix(data))
		}
		value, err := io.ReadAll(p)
		if err != nil {
			return nil, kerror.New("network.http.body_parse_failed", prefix(data))
		}
		if p.FileName() != "" {
			fields[p.FormName()] = map[string]string{
				"encoding": p.Header.Get("Content-Type"),
				"file":     base64.StdEncoding.EncodeToString(value),
				"filename": p.FileName(),
			}
		} else {
			fields[p.FormName()] = string(value)
		}
	}
	return marshal(fields)
}

// prefix is the start of a body Kuzzle quotes in body_parse_failed.
func prefix(data []byte) string {
	s := []rune(string(data))
	return string(s[:min(len(s), 50)])
}

func marshal(v any) (jsonx.RawMessage, *kerror.Error) {
	encoded, err := jsonx.Marshal(v)
	if err != nil {
		return nil, kerror.New("network.http.unexpected_error", err.Error())
	}
	return encoded, nil
}

// queryObject is Node's querystring.parse: a repeated key gives an array.
func queryObject(values url.Values) map[string]any {
	obj := make(map[string]any, len(values))
	for k, vs := range values {
		if len(vs) == 1 {
			obj[k] = vs[0]
		} else {
			obj[k] = vs
		}
	}
	return obj
}

// writeRawError answers an error found before routing with the bare error,
// as Kuzzle's httpSendError does.
func (s *Server) writeRawError(w http.ResponseWriter, r *http.Request, kerr *kerror.Error) {
	body, err := jsonx.Marshal(kerr)
	if err != nil {
		body = []byte(`{}`)
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Headers", allowHeaders)
	h.Set("Access-Control-Allow-Methods", allowMethods)
	h.Set("Content-Type", "application/json")
	if r.Header.Get("Origin") != "" {
		h.Set("Access-Control-Allow-Origin", "*")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(kerr.Status)
	_, _ = w.Write(body)
}

// writeAnswer writes a response envelope with its status, compressed as
// the client accepts.
func (s *Server) writeAnswer(w http.ResponseWriter, r *http.Request, requestID string, answer []byte) {
	var head struct {
		Status int `json:"status"`
	}
	if err := jsonx.Unmarshal(answer, &head); err != nil || head.Status < 100 || head.Status > 999 {
		head.Status = http.StatusInternalServerError
	}
	if _, pretty := r.URL.Query()["pretty"]; pretty {
		var buf bytes.Buffer
		if jsonx.Indent(&buf, answer, "", "  ") == nil {
			answer = buf.Bytes()
		}
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Access-Control-Allow-Headers", allowHeaders)
	h.Set("Access-Control-Allow-Methods", allowMethods)
	h.Set("Accept-Encoding", "identity")
	if s.cfg.AllowCompression {
		h.Set("Accept-Encoding", "gzip,deflate,identity")
	}
	h.Set("X-Kuzzle-Request-Id", requestID)
	if origin := r.Header.Get("Origin"); origin != "" {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Vary", "Origin")
	}
	encoding, body := compress(r.Header.Get("Accept-Encoding"), answer)
	h.Set("Content-Encoding", encoding)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(head.Status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// compress encodes data with the algorithm Kuzzle picks from
// Accept-Encoding: gzip or deflate, the highest q (0 when unsaid), gzip
// on a tie.
func compress(accept string, data []byte) (string, []byte) {
	algorithm, priority := "", -1.0
	for _, e := range strings.Split(accept, ",") {
		e = strings.ToLower(strings.TrimSpace(e))
		if !strings.HasPrefix(e, "gzip") && !strings.HasPrefix(e, "deflate") {
			continue
		}
		name, q, _ := strings.Cut(e, ";")
		p := 0.0
		if _, v, ok := strings.Cut(q, "="); ok {
			p, _ = strconv.ParseFloat(v, 64)
		}
		if p > priority {
			algorithm, priority = name, p
		} else if p-priority < 1e-2 && priority-p < 1e-2 && name == "gzip" {
			algorithm = "gzip"
		}
	}
	var buf bytes.Buffer
	var wc io.WriteCloser
	switch algorithm {
	case "gzip":
		wc = gzip.NewWriter(&buf)
	case "deflate":
		wc = zlib.NewWriter(&buf)
	default:
		return "identity", data
	}
	if _, err := wc.Write(data); err != nil || wc.Close() != nil {
		return "identity", data
	}
	return algorithm, buf.Bytes()
}
