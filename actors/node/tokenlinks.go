package node

import (
	"sync"

	"github.com/starlingmq/starling/actors/connection"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/security/token"
)

// maxLinksPerToken bounds the connections one token is linked to; past it
// the oldest links are not kept (their connections are not told when the
// token ends).
const maxLinksPerToken = 1024

// tokenLinks are the connections each expiring token was used on, so that
// they lose their subscriptions when it ends (Kuzzle's token manager
// links). Safe for concurrent use.
type tokenLinks struct {
	mu      sync.Mutex
	byToken map[string][]string // jwt → connection ids, oldest first
	// last is each linked connection's token (connection id → jwt), read
	// without the lock: a connection's next requests with the same token
	// find their link there.
	last sync.Map
}

// link records that connectionID used t.
func (l *tokenLinks) link(t token.Token, connectionID string) {
	if jwt, ok := l.last.Load(connectionID); ok && jwt.(string) == t.JWT {
		return
	}
	l.last.Store(connectionID, t.JWT)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.byToken == nil {
		l.byToken = map[string][]string{}
	}
	ids := l.byToken[t.JWT]
	for _, id := range ids {
		if id == connectionID {
			return
		}
	}
	if len(ids) >= maxLinksPerToken {
		l.last.CompareAndDelete(ids[0], t.JWT)
		ids = ids[1:]
	}
	l.byToken[t.JWT] = append(ids, connectionID)
}

// take forgets the connections linked to jwt and returns them.
func (l *tokenLinks) take(jwt string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	ids := l.byToken[jwt]
	delete(l.byToken, jwt)
	for _, id := range ids {
		l.last.CompareAndDelete(id, jwt)
	}
	return ids
}

// tokenEnded ends the subscriptions of the connections that used a token
// that expired (with Kuzzle's TokenExpired server notification) or was
// revoked (silently, as Kuzzle's logout).
func (n *Node) tokenEnded(t token.Token, why token.EndReason) {
	ids := n.links.take(t.JWT)
	if len(ids) == 0 || why == token.GraceOver {
		return
	}
	var note []byte
	if why == token.Expired {
		note, _ = jsonx.Marshal(map[string]any{
			"status": 200, "info": "This is an automated server notification",
			"message": "Authentication Token Expired", "type": "TokenExpired", "node": n.id,
		})
	}
	for _, id := range ids {
		n.system.Root.Send(connection.PID(n.system, id), connection.TokenExpired{Notification: note})
	}
}
