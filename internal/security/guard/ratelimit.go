package guard

import (
	"sync"
	"time"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/security"
)

// rateLimiter is Kuzzle's request rate limiter: counts in one-second
// frames, auth:login per connection (limits.loginsPerSecond), every other
// request per user, bounded by the highest rateLimit of the user's
// profiles (none when one of them has 0). auth:logout is never limited
// for an authenticated user.
type rateLimiter struct {
	logins int // per connection and second; 0: none
	now    func() time.Time

	mu     sync.Mutex
	second int64          // the frame's second
	counts map[string]int // by "c:"+connection id or "u:"+kuid
}

// allow counts req in the current frame and answers Kuzzle's refusal past
// its limit.
func (l *rateLimiter) allow(req *api.Request, userID string, profiles []*security.Profile) *kerror.Error {
	if req.Controller == "auth" && req.Action == "login" {
		if l.logins > 0 && l.count("c:"+req.Connection.ID) > l.logins {
			return kerror.New("api.process.too_many_logins_requests")
		}
		return nil
	}
	if userID != api.AnonymousUserID && req.Controller == "auth" && req.Action == "logout" {
		return nil
	}
	limit := -1
	for _, p := range profiles {
		if p.RateLimit == 0 || limit == 0 {
			limit = 0
		} else {
			limit = max(limit, p.RateLimit)
		}
	}
	if limit > 0 && l.count("u:"+userID) > limit {
		return kerror.New("api.process.too_many_requests")
	}
	return nil
}

// count adds one to key's count in the current frame and returns it.
func (l *rateLimiter) count(key string) int {
	second := l.now().Unix()
	l.mu.Lock()
	defer l.mu.Unlock()
	if second != l.second || l.counts == nil {
		l.second, l.counts = second, map[string]int{}
	}
	l.counts[key]++
	return l.counts[key]
}
