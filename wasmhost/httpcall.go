package wasmhost

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	wapi "github.com/tetratelabs/wazero/api"

	"github.com/starlingmq/starling/internal/jsonx"
)

// Bounds of http_request beyond the module's limits.
const (
	// maxHTTPHeaderBytes bounds the request headers a guest sends and the
	// response headers it is given.
	maxHTTPHeaderBytes = 64 << 10
	// maxRedirects bounds the redirects followed (each to an allowed host).
	maxRedirects = 10
)

// httpRequest is what a guest's http_request asks for.
type httpRequest struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

// httpAnswer is what the guest gets back on success.
type httpAnswer struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

// httpFailure is what the guest gets back when the request failed.
type httpFailure struct {
	Error struct {
		ID      string `json:"id"`
		Message string `json:"message"`
	} `json:"error"`
}

// hostNotAllowed is the refusal of a host outside allowedHosts, at any step:
// the first URL, a redirect, the dial.
type hostNotAllowed struct{ module, hostport string }

func (e *hostNotAllowed) Error() string {
	return fmt.Sprintf("host %s not allowed for module %s (plugins.wasm.modules.%s.allowedHosts)", e.hostport, e.module, e.module)
}

// hostHTTPRequest is starling.http_request(ptr, len) -> len: runs the HTTP
// request JSON at ptr and keeps the answer JSON for call_result.
func (h *Host) hostHTTPRequest(ctx context.Context, mod wapi.Module, stack []uint64) {
	in := instanceOf(ctx)
	if in == nil {
		panic(fmt.Errorf("http_request: only possible while serving a call"))
	}
	n := uint32(stack[1])
	if int64(n) > int64(in.m.limits.MaxResultSize) {
		in.pending = httpError(fmt.Errorf("http_request of %d bytes exceeds %d bytes", n, in.m.limits.MaxResultSize))
	} else {
		in.pending = in.m.httpCall(in, guestBytes(mod, uint32(stack[0]), n, "http_request"))
	}
	stack[0] = uint64(len(in.pending))
}

// httpCall runs one guest HTTP request within the call's deadline and
// returns the answer JSON.
func (m *Module) httpCall(in *instance, payload []byte) []byte {
	var r httpRequest
	if err := jsonx.Unmarshal(payload, &r); err != nil {
		return httpError(fmt.Errorf("http_request: invalid request %q: %w", clip(payload), err))
	}
	parent := in.reqCtx
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithDeadline(parent, in.callDeadline())
	defer cancel()
	req, err := m.newHTTPRequest(ctx, r)
	if err != nil {
		return httpError(err)
	}
	if m.access.client == nil {
		return httpError(&hostNotAllowed{m.name, req.URL.Host})
	}
	resp, err := m.access.client.Do(req)
	if err != nil {
		var refused *hostNotAllowed
		if errors.As(err, &refused) {
			return httpError(refused)
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return httpError(fmt.Errorf("http_request %s %s: the call's deadline passed", r.Method, req.URL.Redacted()))
		}
		return httpError(fmt.Errorf("http_request: %w", err))
	}
	defer resp.Body.Close()
	limit := m.limits.MaxResultSize
	body, err := io.ReadAll(io.LimitReader(resp.Body, int64(limit)+1))
	if err != nil {
		return httpError(fmt.Errorf("http_request %s %s: read the response: %w", r.Method, req.URL.Redacted(), err))
	}
	if len(body) > limit {
		return httpError(fmt.Errorf("http_request %s %s: response body exceeds %d bytes (maxResultSize)", r.Method, req.URL.Redacted(), limit))
	}
	answer := httpAnswer{Status: resp.StatusCode, Headers: make(map[string]string, len(resp.Header)), Body: string(body)}
	for k, v := range resp.Header {
		answer.Headers[k] = strings.Join(v, ", ")
	}
	out, err := jsonx.Marshal(answer)
	if err != nil {
		return httpError(fmt.Errorf("http_request: encode the answer: %w", err))
	}
	return out
}

// newHTTPRequest checks and builds the request: http or https, an allowed
// host, bounded headers, the call's deadline.
func (m *Module) newHTTPRequest(ctx context.Context, r httpRequest) (*http.Request, error) {
	if r.Method == "" {
		r.Method = http.MethodGet
	}
	u, err := url.Parse(r.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("http_request: url %q is not an absolute http or https URL", r.URL)
	}
	if err := m.access.checkURL(m.name, u); err != nil {
		return nil, err
	}
	size := 0
	for k, v := range r.Headers {
		size += len(k) + len(v) + 4
	}
	if size > maxHTTPHeaderBytes {
		return nil, fmt.Errorf("http_request: headers of %d bytes exceed %d bytes", size, maxHTTPHeaderBytes)
	}
	var body io.Reader
	if r.Body != "" {
		body = strings.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("http_request: %w", err)
	}
	for k, v := range r.Headers {
		req.Header.Set(k, v)
	}
	return req, nil
}

// checkURL refuses a URL whose host the module may not reach.
func (a *access) checkURL(module string, u *url.URL) error {
	if a == nil {
		return &hostNotAllowed{module, u.Host}
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	if !a.allowsHost(u.Hostname(), port) {
		return &hostNotAllowed{module, net.JoinHostPort(u.Hostname(), port)}
	}
	return nil
}

// newHTTPClient returns the client of a module version's http_request:
// no proxy, no cookie jar, every redirect and every dial checked against
// allowedHosts.
func newHTTPClient(a *access, module string) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	transport := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, port, err := net.SplitHostPort(addr)
			if err != nil || !a.allowsHost(host, port) {
				return nil, &hostNotAllowed{module, addr}
			}
			return dialer.DialContext(ctx, network, addr)
		},
		TLSHandshakeTimeout:    10 * time.Second,
		MaxResponseHeaderBytes: maxHTTPHeaderBytes,
		MaxIdleConnsPerHost:    4,
		IdleConnTimeout:        90 * time.Second,
	}
	return &http.Client{
		Transport: transport,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return fmt.Errorf("stopped after %d redirects", maxRedirects)
			}
			return a.checkURL(module, req.URL)
		},
	}
}

// httpError is the answer JSON of a failed http_request.
func httpError(err error) []byte {
	var f httpFailure
	f.Error.ID, f.Error.Message = "plugin.runtime.unexpected_error", err.Error()
	out, merr := jsonx.Marshal(f)
	if merr != nil {
		return []byte(`{"error":{"id":"plugin.runtime.unexpected_error","message":"unencodable error"}}`)
	}
	return out
}
