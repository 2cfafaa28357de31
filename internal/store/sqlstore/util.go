package sqlstore

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"strings"
	"time"
)

// nowMillis is the clock of _kuzzle_info.
func nowMillis() int64 { return time.Now().UnixMilli() }

// idEncoding is URL-safe base64 with its alphabet in ASCII order, so that
// ids sort as the bytes they encode.
var idEncoding = base64.NewEncoding("-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz").WithPadding(base64.NoPadding)

// newID returns a document id in the shape of Elasticsearch's generated
// ones: 20 URL-safe base64 characters, from a clock (microseconds, made
// strictly increasing) and 7 random bytes. Ids made one after the other
// sort one after the other, so a burst of creates adds to the same few
// pages of the id index instead of dirtying one page per document.
func (e *Engine) newID() string {
	now := uint64(time.Now().UnixMicro()) << 8
	for {
		last := e.lastID.Load()
		next := max(now, last+1)
		if e.lastID.CompareAndSwap(last, next) {
			now = next
			break
		}
	}
	var b [15]byte
	binary.BigEndian.PutUint64(b[:8], now)
	_, _ = rand.Read(b[8:])
	return idEncoding.EncodeToString(b[:])
}

// kuid is the author or updater written in _kuzzle_info: null without a
// user, as Kuzzle writes it.
func kuid(user string) any {
	if user == "" {
		return nil
	}
	return user
}

// merge deep-merges src into dst as Elasticsearch's partial update does:
// objects merge key by key, any other value replaces.
func merge(dst, src map[string]any) {
	for k, v := range src {
		if sub, ok := v.(map[string]any); ok {
			if into, ok := dst[k].(map[string]any); ok {
				merge(into, sub)
				continue
			}
		}
		dst[k] = v
	}
}

// unset removes a dotted path from doc.
func unset(doc map[string]any, path string) {
	for {
		dot := strings.IndexByte(path, '.')
		if dot < 0 {
			delete(doc, path)
			return
		}
		sub, ok := doc[path[:dot]].(map[string]any)
		if !ok {
			return
		}
		doc, path = sub, path[dot+1:]
	}
}
