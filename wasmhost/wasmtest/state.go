package wasmtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/wasmhost"
)

// memState is a wasmhost.State in memory, with the server's statuses and
// quota accounting (keys and values together, per module). It is safe for
// concurrent use; one mutex makes Incr atomic.
type memState struct {
	mu     sync.Mutex
	values map[string]map[string][]byte // by module, then key
	usage  map[string]int64
}

// newMemState returns a state holding initial as module's.
func newMemState(module string, initial map[string][]byte) *memState {
	s := &memState{values: map[string]map[string][]byte{}, usage: map[string]int64{}}
	for k, v := range initial {
		s.put(module, []byte(k), append([]byte(nil), v...))
	}
	return s
}

// put stores a value, counting its bytes in place of the old one's; the
// mutex held (or the state not yet shared).
func (s *memState) put(module string, key, value []byte) {
	vals := s.values[module]
	if vals == nil {
		vals = map[string][]byte{}
		s.values[module] = vals
	}
	if old, ok := vals[string(key)]; ok {
		s.usage[module] -= int64(len(key) + len(old))
	}
	vals[string(key)] = value
	s.usage[module] += int64(len(key) + len(value))
}

// fits reports whether storing value at key keeps the module within quota.
func (s *memState) fits(module string, key, value []byte, quota int64) bool {
	grow := int64(len(key) + len(value))
	if old, ok := s.values[module][string(key)]; ok {
		grow -= int64(len(key) + len(old))
	}
	return grow <= 0 || s.usage[module]+grow <= quota
}

// Get returns the value at key.
func (s *memState) Get(_ context.Context, module string, key []byte) ([]byte, int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.values[module][string(key)]
	if !ok {
		return nil, wasmhost.StateAbsent
	}
	return append([]byte(nil), v...), wasmhost.StateOK
}

// Set stores value at key within quota.
func (s *memState) Set(_ context.Context, module string, key, value []byte, quota int64) int32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.fits(module, key, value, quota) {
		return wasmhost.StateQuotaExceeded
	}
	s.put(module, key, append([]byte(nil), value...))
	return wasmhost.StateOK
}

// Delete removes key: 1 deleted, 0 absent.
func (s *memState) Delete(_ context.Context, module string, key []byte) int32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.values[module][string(key)]
	if !ok {
		return 0
	}
	delete(s.values[module], string(key))
	s.usage[module] -= int64(len(key) + len(old))
	return 1
}

// Incr adds delta to the decimal integer at key (absent: 0).
func (s *memState) Incr(_ context.Context, module string, key []byte, delta, quota int64) (int64, int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	if old, ok := s.values[module][string(key)]; ok {
		var err error
		if n, err = strconv.ParseInt(string(old), 10, 64); err != nil {
			if errors.Is(err, strconv.ErrRange) {
				return 0, wasmhost.StateTooLarge
			}
			return 0, wasmhost.StateNotInteger
		}
	}
	sum := n + delta
	if (delta > 0 && sum < n) || (delta < 0 && sum > n) {
		return 0, wasmhost.StateTooLarge
	}
	value := strconv.AppendInt(nil, sum, 10)
	if !s.fits(module, key, value, quota) {
		return 0, wasmhost.StateQuotaExceeded
	}
	s.put(module, key, value)
	return sum, wasmhost.StateOK
}

// snapshot returns a copy of module's keys and values.
func (s *memState) snapshot(module string) map[string][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string][]byte, len(s.values[module]))
	for k, v := range s.values[module] {
		out[k] = append([]byte(nil), v...)
	}
	return out
}

// LoadState reads a state file: a JSON object of key -> value. A JSON
// string is its text (the value's bytes, without quotes); any other JSON
// value is its JSON text, compacted: {"logins": 3, "name": "x", "cfg":
// {"a": 1}} holds 3, x and {"a":1}. A missing file is an empty state.
func LoadState(path string) (map[string][]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string][]byte{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	var raw map[string]jsonx.RawMessage
	if err := jsonx.Unmarshal(data, &raw); err != nil || raw == nil {
		return nil, fmt.Errorf("state file %s: not a JSON object of key -> value", path)
	}
	out := make(map[string][]byte, len(raw))
	for k, v := range raw {
		v = bytes.TrimSpace(v)
		var s string
		if len(v) > 0 && v[0] == '"' && jsonx.Unmarshal(v, &s) == nil {
			out[k] = []byte(s)
			continue
		}
		compact, err := jsonx.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("state file %s: key %q: %w", path, k, err)
		}
		out[k] = compact
	}
	return out, nil
}

// StateJSON encodes a state as LoadState reads it: a value that is
// compact JSON other than a string is written as it is, any other as a
// JSON string (invalid UTF-8 becomes U+FFFD), so that loading gives the
// same bytes back.
func StateJSON(state map[string][]byte) jsonx.RawMessage {
	obj := make(map[string]jsonx.RawMessage, len(state))
	for k, v := range state {
		if len(v) > 0 && v[0] != '"' && jsonx.Valid(v) && isCompact(v) {
			obj[k] = v
			continue
		}
		s := string(v)
		if !utf8.ValidString(s) {
			s = string(bytes.ToValidUTF8(v, []byte("\uFFFD")))
		}
		obj[k], _ = jsonx.Marshal(s)
	}
	out, err := jsonx.Marshal(obj)
	if err != nil { // every value is valid JSON: not expected
		return jsonx.RawMessage("{}")
	}
	return out
}

// isCompact reports whether a valid JSON text is as jsonx writes it back.
func isCompact(v []byte) bool {
	again, err := jsonx.Marshal(jsonx.RawMessage(v))
	return err == nil && bytes.Equal(again, v)
}

// SaveState writes a state file (see LoadState), atomically.
func SaveState(path string, state map[string][]byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".state-*.json")
	if err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	_, err = tmp.Write(append(StateJSON(state), '\n'))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("save state %s: %w", path, err)
	}
	return nil
}
