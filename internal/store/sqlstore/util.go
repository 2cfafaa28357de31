package sqlstore

import (
	"crypto/rand"
	"encoding/base64"
	"strings"
	"time"
)

// nowMillis is the clock of _kuzzle_info.
func nowMillis() int64 { return time.Now().UnixMilli() }

// newID returns a document id in the shape of Elasticsearch's generated
// ones: 20 URL-safe base64 characters.
func newID() string {
	var b [15]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
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
