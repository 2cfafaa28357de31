package dispatcher

import "maps"

// counts are the dispatcher's request counters by protocol, read by
// server:getStats. Owned by the actor; requests without a protocol (sent
// by the server itself) are not counted, as in Kuzzle.
type counts struct {
	ongoing, completed, failed map[string]int64
}

// begin counts an action that starts.
func (c *counts) begin(protocol string) {
	if protocol != "" {
		c.ongoing = add(c.ongoing, protocol, 1)
	}
}

// finish counts an action that ended.
func (c *counts) finish(protocol string, failed bool) {
	if protocol == "" {
		return
	}
	c.ongoing = add(c.ongoing, protocol, -1)
	if failed {
		c.failed = add(c.failed, protocol, 1)
	} else {
		c.completed = add(c.completed, protocol, 1)
	}
}

// refused counts a request answered with an error before any action ran.
func (c *counts) refused(protocol string) {
	if protocol != "" {
		c.failed = add(c.failed, protocol, 1)
	}
}

// result copies the counters into r.
func (c *counts) result(r StatsResult) StatsResult {
	r.Ongoing, r.Completed, r.Failed = maps.Clone(c.ongoing), maps.Clone(c.completed), maps.Clone(c.failed)
	return r
}

func add(m map[string]int64, key string, n int64) map[string]int64 {
	if m == nil {
		m = map[string]int64{}
	}
	m[key] += n
	return m
}
