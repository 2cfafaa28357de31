package sqlstore

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"sync"
	"time"

	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/store"
	"github.com/starlingmq/starling/internal/store/query"
)

// scroll is an open scrolled search: the search and where the next page
// starts.
type scroll struct {
	index, collection string
	search            *query.Search
	offset            int
	after             int64
	ttl               time.Duration
	expires           time.Time
}

// scrolls holds the open scrolls, bounded in count and life.
type scrolls struct {
	mu     sync.Mutex
	open   map[string]*scroll
	max    int
	maxTTL time.Duration
}

func newScrolls(max int, maxTTL time.Duration) *scrolls {
	if max <= 0 {
		max = 10000
	}
	if maxTTL <= 0 {
		maxTTL = time.Minute
	}
	return &scrolls{open: map[string]*scroll{}, max: max, maxTTL: maxTTL}
}

// add opens a scroll and returns its id.
func (s *scrolls) add(sc *scroll) (string, error) {
	if sc.ttl > s.maxTTL {
		return "", kerror.New("services.storage.scroll_duration_too_great", sc.ttl.String())
	}
	var b [24]byte
	_, _ = rand.Read(b[:])
	id := base64.RawURLEncoding.EncodeToString(b[:])
	now := time.Now()
	sc.expires = now.Add(sc.ttl)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.open) >= s.max {
		s.expire(now)
		if len(s.open) >= s.max {
			return "", kerror.New("services.storage.too_many_operations", "scroll")
		}
	}
	s.open[id] = sc
	return id, nil
}

// take returns the scroll id and extends its life, nil when it expired or
// never existed.
func (s *scrolls) take(id string, ttl time.Duration) (*scroll, error) {
	if ttl > s.maxTTL {
		return nil, kerror.New("services.storage.scroll_duration_too_great", ttl.String())
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	sc, ok := s.open[id]
	if !ok || now.After(sc.expires) {
		delete(s.open, id)
		return nil, kerror.New("services.storage.unknown_scroll_id")
	}
	if ttl > 0 {
		sc.ttl = ttl
	}
	sc.expires = now.Add(sc.ttl)
	cp := *sc
	return &cp, nil
}

// advance moves a scroll's next page start.
func (s *scrolls) advance(id string, offset int, after int64) {
	s.mu.Lock()
	if sc, ok := s.open[id]; ok {
		sc.offset, sc.after = offset, after
	}
	s.mu.Unlock()
}

// remove forgets a scroll.
func (s *scrolls) remove(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.open[id]
	delete(s.open, id)
	return ok
}

// expire forgets expired scrolls; the caller holds mu.
func (s *scrolls) expire(now time.Time) {
	for id, sc := range s.open {
		if now.After(sc.expires) {
			delete(s.open, id)
		}
	}
}

// Scroll implements store.Documents.
func (e *Engine) Scroll(ctx context.Context, id string, ttl time.Duration) (*store.SearchResult, error) {
	sc, err := e.scroll.take(id, ttl)
	if err != nil {
		return nil, err
	}
	col, err := e.resolve(ctx, sc.index, sc.collection)
	if err != nil {
		return nil, err
	}
	res, last, err := e.search(ctx, col, sc.search, page{from: sc.offset, after: sc.after})
	if err != nil {
		return nil, err
	}
	fetched := sc.offset + len(res.Hits)
	res.ScrollID, res.Index, res.Collection = id, sc.index, sc.collection
	res.Remaining = max(res.Total-fetched, 0)
	if res.Remaining == 0 {
		e.scroll.remove(id)
	} else {
		e.scroll.advance(id, fetched, last)
	}
	return res, nil
}

// ClearScroll implements store.Documents.
func (e *Engine) ClearScroll(_ context.Context, id string) error {
	if !e.scroll.remove(id) {
		return kerror.New("services.storage.unknown_scroll_id")
	}
	return nil
}
