//go:build wasip1

package starling

import (
	"encoding/json"
	"strconv"
	"unsafe"
)

// StateError is a negative status of the state host functions.
type StateError int32

// The statuses of the state host functions (guests/README.md).
const (
	ErrStateAbsent     StateError = -1 // no value at the key
	ErrStateTooLarge   StateError = -2 // key or value too large
	ErrStateQuota      StateError = -3 // the module's quota would be exceeded
	ErrStateNotInteger StateError = -4 // state_incr on a value that is no decimal integer
	ErrStateStorage    StateError = -5 // the store failed
)

func (e StateError) Error() string {
	switch e {
	case ErrStateAbsent:
		return "state: key absent"
	case ErrStateTooLarge:
		return "state: key or value too large"
	case ErrStateQuota:
		return "state: quota exceeded"
	case ErrStateNotInteger:
		return "state: value is not an integer"
	case ErrStateStorage:
		return "state: storage failure"
	}
	return "state: status " + strconv.Itoa(int(e))
}

// keyPtr returns the key's address and length; an empty key is passed as
// is (the host refuses it with ErrStateTooLarge).
func keyPtr(key string) (unsafe.Pointer, uint32) {
	return unsafe.Pointer(unsafe.StringData(key)), uint32(len(key))
}

// StateGet returns the value at key; ok is false when the key is absent.
func StateGet(key string) (value []byte, ok bool, err error) {
	k, kn := keyPtr(key)
	n := hostStateGet(k, kn)
	switch {
	case n == -1:
		return nil, false, nil
	case n < 0:
		return nil, false, StateError(n)
	}
	return lastAnswer(uint32(n)), true, nil
}

// StateSet stores value at key.
func StateSet(key string, value []byte) error {
	k, kn := keyPtr(key)
	if st := hostStateSet(k, kn, unsafe.Pointer(unsafe.SliceData(value)), uint32(len(value))); st < 0 {
		return StateError(st)
	}
	return nil
}

// StateDelete deletes the value at key and reports whether there was one.
func StateDelete(key string) (bool, error) {
	k, kn := keyPtr(key)
	st := hostStateDelete(k, kn)
	if st < 0 {
		return false, StateError(st)
	}
	return st == 1, nil
}

// StateIncr adds delta to the decimal integer at key (0 when absent) and
// returns the new value.
func StateIncr(key string, delta int64) (int64, error) {
	k, kn := keyPtr(key)
	var out int64
	if st := hostStateIncr(k, kn, delta, unsafe.Pointer(&out)); st < 0 {
		return 0, StateError(st)
	}
	return out, nil
}

// HTTPRequest is an outbound HTTP request; only hosts the module's
// allowedHosts names are reachable.
type HTTPRequest struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    string            `json:"body,omitempty"`
}

// HTTPResponse is the answer to an HTTPRequest.
type HTTPResponse struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
	Error   *Error            `json:"error"`
}

// HTTP runs an outbound request; a request the host could not make (host
// not allowed, deadline, network) is returned as its *Error.
func HTTP(r HTTPRequest) (*HTTPResponse, error) {
	payload, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	out := lastAnswer(hostHTTPRequest(unsafe.Pointer(unsafe.SliceData(payload)), uint32(len(payload))))
	var resp HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		return nil, err
	}
	if resp.Error != nil {
		return nil, resp.Error
	}
	return &resp, nil
}
