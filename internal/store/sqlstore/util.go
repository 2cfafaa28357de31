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

// numberPlaceholders rewrites the "?" marks of query.Where's SQL to d's
// placeholders ($1, $2... on PostgreSQL), leaving alone the question
// marks inside quoted literals (a JSON path's filter). Values travel as
// arguments, and no dialect writes an operator with a question mark.
func numberPlaceholders(where string, d Dialect) string {
	if d.Placeholder(1) == "?" || !strings.Contains(where, "?") {
		return where
	}
	var b strings.Builder
	n, quote := 0, byte(0) // quote: the quote of the literal we are in
	for i := 0; i < len(where); i++ {
		switch c := where[i]; {
		case quote == 0 && (c == '\'' || c == '"'):
			quote = c
			b.WriteByte(c)
		case c == quote:
			quote = 0 // a doubled quote closes and opens again
			b.WriteByte(c)
		case c == '?' && quote == 0:
			n++
			b.WriteString(d.Placeholder(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
