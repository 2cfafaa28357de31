package wasmstate

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/store"
	"github.com/starlingmq/starling/internal/store/mapping"
)

// Where the state lives.
const (
	// Index is the internal index of the Wasm modules' state.
	Index = "%wasm"
	// Collection holds one document per module and key.
	Collection = "state"
)

// stateMapping indexes the module name only: the rest is read, never
// searched.
const stateMapping = `{"dynamic":"false","properties":{"module":{"type":"keyword"}}}`

// The statuses of guests/README.md, as the host functions return them.
const (
	// OK is a done write.
	OK int32 = 0
	// Absent is a key with no value.
	Absent int32 = -1
	// TooLarge is a key or value too large (or an increment past int64).
	TooLarge int32 = -2
	// QuotaExceeded is a write that would pass the module's quota.
	QuotaExceeded int32 = -3
	// NotInteger is state_incr on a value that is no decimal integer.
	NotInteger int32 = -4
	// Failure is a storage failure (logged).
	Failure int32 = -5
)

// stripes is how many mutexes serialise writes, keyed by module and key.
const stripes = 256

// State is every module's key/value state, on a document store. It is safe
// for concurrent use.
type State struct {
	st   store.Store
	log  *slog.Logger
	seed maphash.Seed

	locks [stripes]sync.Mutex

	mu    sync.Mutex
	usage map[string]*atomic.Int64 // bytes of keys and values, by module
}

// document is one key's stored form.
type document struct {
	Module string `json:"module"`
	Key    string `json:"key"`   // base64
	Value  string `json:"value"` // base64
	Size   int64  `json:"size"`  // len(key) + len(value)
}

// Open creates the state collection when missing and counts what every
// module uses. log receives the storage failures (slog.Default() when nil).
func Open(ctx context.Context, st store.Store, log *slog.Logger) (*State, error) {
	if log == nil {
		log = slog.Default()
	}
	s := &State{st: st, log: log.With("component", "wasm-state"), seed: maphash.MakeSeed(), usage: map[string]*atomic.Int64{}}
	m, err := mapping.Parse(jsonx.RawMessage(stateMapping))
	if err != nil {
		return nil, fmt.Errorf("wasm state mappings: %w", err)
	}
	if err := st.CreateCollection(ctx, Index, Collection, m, nil); err != nil {
		return nil, fmt.Errorf("create %s:%s: %w", Index, Collection, err)
	}
	if err := s.count(ctx); err != nil {
		return nil, fmt.Errorf("wasm state: %w", err)
	}
	return s, nil
}

// Usage returns the bytes of keys and values module holds.
func (s *State) Usage(module string) int64 { return s.counter(module).Load() }

// counter returns module's usage counter.
func (s *State) counter(module string) *atomic.Int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.usage[module]
	if c == nil {
		c = &atomic.Int64{}
		s.usage[module] = c
	}
	return c
}

// id is the document id of module's key: any key bytes make a valid id.
func id(module string, key []byte) string {
	return module + "/" + base64.RawURLEncoding.EncodeToString(key)
}

// lock serialises the writes to one module's key.
func (s *State) lock(docID string) *sync.Mutex {
	return &s.locks[maphash.String(s.seed, docID)%stripes]
}

// Get returns the value at key, with OK, Absent or Failure.
func (s *State) Get(ctx context.Context, module string, key []byte) ([]byte, int32) {
	doc, found, err := s.read(ctx, id(module, key))
	if err != nil {
		s.failed("get", module, err)
		return nil, Failure
	}
	if !found {
		return nil, Absent
	}
	return doc.value, OK
}

// stored is a decoded document.
type stored struct {
	value []byte
	size  int64
}

// read returns the document of docID.
func (s *State) read(ctx context.Context, docID string) (stored, bool, error) {
	docs, err := s.st.Get(ctx, Index, Collection, []string{docID})
	if err != nil {
		return stored{}, false, fmt.Errorf("read %s: %w", docID, err)
	}
	if !docs[0].Found {
		return stored{}, false, nil
	}
	d, err := decode(docs[0].Source)
	if err != nil {
		return stored{}, false, fmt.Errorf("read %s: %w", docID, err)
	}
	return d, true, nil
}

func decode(src jsonx.RawMessage) (stored, error) {
	var doc document
	if err := jsonx.Unmarshal(src, &doc); err != nil {
		return stored{}, fmt.Errorf("decode: %w", err)
	}
	v, err := base64.StdEncoding.DecodeString(doc.Value)
	if err != nil {
		return stored{}, fmt.Errorf("decode the value: %w", err)
	}
	return stored{value: v, size: doc.Size}, nil
}

// Set stores value at key within quota bytes for the module: OK,
// QuotaExceeded or Failure.
func (s *State) Set(ctx context.Context, module string, key, value []byte, quota int64) int32 {
	docID := id(module, key)
	mu := s.lock(docID)
	mu.Lock()
	defer mu.Unlock()
	old, _, err := s.read(ctx, docID)
	if err != nil {
		s.failed("set", module, err)
		return Failure
	}
	return s.put(ctx, module, docID, key, value, old.size, quota)
}

// put writes value under docID in place of a value of oldSize bytes (0:
// none), the key's lock held.
func (s *State) put(ctx context.Context, module, docID string, key, value []byte, oldSize, quota int64) int32 {
	size := int64(len(key) + len(value))
	usage := s.counter(module)
	grow := size - oldSize
	if grow > 0 && !reserve(usage, grow, quota) {
		return QuotaExceeded
	}
	body, err := jsonx.Marshal(document{
		Module: module, Key: base64.StdEncoding.EncodeToString(key),
		Value: base64.StdEncoding.EncodeToString(value), Size: size,
	})
	if err == nil {
		err = s.write(ctx, store.Op{Kind: store.OpCreateOrReplace, ID: docID, Body: body, NoMeta: true})
	}
	if err != nil {
		if grow > 0 {
			usage.Add(-grow)
		}
		s.failed("set", module, err)
		return Failure
	}
	if grow < 0 {
		usage.Add(grow)
	}
	return OK
}

// reserve adds n to usage unless that passes quota.
func reserve(usage *atomic.Int64, n, quota int64) bool {
	for {
		cur := usage.Load()
		if cur+n > quota {
			return false
		}
		if usage.CompareAndSwap(cur, cur+n) {
			return true
		}
	}
}

// write applies one op; the op's own failure is the error.
func (s *State) write(ctx context.Context, op store.Op) error {
	res, err := s.st.Write(ctx, Index, Collection, []store.Op{op})
	if err != nil {
		return fmt.Errorf("write %s: %w", op.ID, err)
	}
	if res[0].Err != nil {
		return fmt.Errorf("write %s: %w", op.ID, res[0].Err)
	}
	return nil
}

// Delete removes key: 1 deleted, 0 absent, or Failure.
func (s *State) Delete(ctx context.Context, module string, key []byte) int32 {
	docID := id(module, key)
	mu := s.lock(docID)
	mu.Lock()
	defer mu.Unlock()
	res, err := s.st.Write(ctx, Index, Collection, []store.Op{{Kind: store.OpDelete, ID: docID}})
	if err == nil {
		err = res[0].Err
	}
	var kerr *kerror.Error
	if errors.As(err, &kerr) && kerr.ID == "services.storage.not_found" {
		return 0
	}
	if err != nil {
		s.failed("delete", module, fmt.Errorf("delete %s: %w", docID, err))
		return Failure
	}
	if old, err := decode(res[0].Source); err == nil {
		s.counter(module).Add(-old.size)
	} else {
		s.log.Warn("wasm state: the deleted value was unreadable, its size is still counted", "module", module, "err", err)
	}
	return 1
}

// Incr adds delta to the decimal integer at key (absent: 0) and returns the
// new value: OK, NotInteger, TooLarge (past int64), QuotaExceeded or
// Failure.
func (s *State) Incr(ctx context.Context, module string, key []byte, delta, quota int64) (int64, int32) {
	docID := id(module, key)
	mu := s.lock(docID)
	mu.Lock()
	defer mu.Unlock()
	old, found, err := s.read(ctx, docID)
	if err != nil {
		s.failed("incr", module, err)
		return 0, Failure
	}
	var n int64
	if found {
		if n, err = strconv.ParseInt(string(old.value), 10, 64); err != nil {
			if errors.Is(err, strconv.ErrRange) {
				return 0, TooLarge
			}
			return 0, NotInteger
		}
	}
	sum := n + delta
	if (delta > 0 && sum < n) || (delta < 0 && sum > n) {
		return 0, TooLarge
	}
	if status := s.put(ctx, module, docID, key, strconv.AppendInt(nil, sum, 10), old.size, quota); status != OK {
		return 0, status
	}
	return sum, OK
}

// failed logs a storage failure.
func (s *State) failed(op, module string, err error) {
	s.log.Error("wasm state: storage failure", "op", op, "module", module, "err", err)
}
