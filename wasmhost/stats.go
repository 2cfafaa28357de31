package wasmhost

import (
	"math"
	"sort"
	"sync/atomic"
	"time"
)

// ModuleStats is what Stats reports about one module name (every version
// together, since the host started).
type ModuleStats struct {
	// Calls counts the calls into the module; Errors those that failed
	// (the guest's own errors included); Traps those that trapped or ran
	// out of time.
	Calls, Errors, Traps uint64
	// P50 and P99 are the median and 99th percentile of the calls'
	// durations, as the upper bound of a histogram bucket (about 19 %
	// wide), since the start.
	P50, P99 time.Duration
	// Instances is how many instances are live; MemoryBytes their linear
	// memory together, as of the end of their last call.
	Instances   int64
	MemoryBytes int64
	// QuarantinedUntil is the end of the current version's quarantine,
	// zero when it is not quarantined.
	QuarantinedUntil time.Time
}

// Stats returns the statistics of every loaded module, by name. It is safe
// to call at any time; it reads counters only.
func (h *Host) Stats() map[string]ModuleStats {
	h.mu.Lock()
	slots := make(map[string]*slot, len(h.slots))
	for name, s := range h.slots {
		slots[name] = s
	}
	h.mu.Unlock()
	out := make(map[string]ModuleStats, len(slots))
	for name, s := range slots {
		m := s.cur.Load()
		if m == nil {
			continue
		}
		st := s.stats.snapshot()
		if until, ok := m.quarantinedUntil(); ok {
			st.QuarantinedUntil = until
		}
		out[name] = st
	}
	return out
}

// statsOf returns the statistics of the named module, kept across its
// versions.
func (h *Host) statsOf(name string) *moduleStats { return &h.slotOf(name).stats }

// moduleStats counts one module name's calls; lock-free.
type moduleStats struct {
	calls, errors, traps atomic.Uint64
	instances, memory    atomic.Int64
	durations            histogram
}

// record counts one call.
func (s *moduleStats) record(elapsed time.Duration, failed, trapped bool) {
	s.calls.Add(1)
	if failed {
		s.errors.Add(1)
	}
	if trapped {
		s.traps.Add(1)
	}
	s.durations.add(elapsed)
}

func (s *moduleStats) snapshot() ModuleStats {
	p := s.durations.quantiles(0.5, 0.99)
	return ModuleStats{
		Calls: s.calls.Load(), Errors: s.errors.Load(), Traps: s.traps.Load(),
		P50: p[0], P99: p[1],
		Instances: s.instances.Load(), MemoryBytes: s.memory.Load(),
	}
}

// Histogram buckets: bucket 0 holds durations up to histBase, bucket i
// those up to histBase·2^(i/4); the last one everything longer.
const (
	histBase    = time.Microsecond
	histPerStep = 4 // buckets per doubling
	histBuckets = 29*histPerStep + 1
)

// histogram counts durations in fixed log-scale buckets: bounded memory,
// lock-free adds, quantiles within a bucket's width (~19 %).
type histogram struct {
	counts [histBuckets]atomic.Uint64
}

// bucket returns the bucket of d.
func bucket(d time.Duration) int {
	if d <= histBase {
		return 0
	}
	i := int(math.Ceil(histPerStep * math.Log2(float64(d)/float64(histBase))))
	return min(i, histBuckets-1)
}

// upper returns bucket i's upper bound.
func upper(i int) time.Duration {
	return time.Duration(float64(histBase) * math.Exp2(float64(i)/histPerStep))
}

func (h *histogram) add(d time.Duration) { h.counts[bucket(d)].Add(1) }

// quantiles returns the upper bound of the bucket holding each quantile q
// (sorted or not), 0 for an empty histogram.
func (h *histogram) quantiles(qs ...float64) []time.Duration {
	var counts [histBuckets]uint64
	var total uint64
	for i := range counts {
		counts[i] = h.counts[i].Load()
		total += counts[i]
	}
	out := make([]time.Duration, len(qs))
	if total == 0 {
		return out
	}
	cum := make([]uint64, histBuckets)
	var sum uint64
	for i, c := range counts {
		sum += c
		cum[i] = sum
	}
	for j, q := range qs {
		rank := uint64(math.Ceil(q * float64(total)))
		rank = max(rank, 1)
		i := sort.Search(histBuckets, func(i int) bool { return cum[i] >= rank })
		out[j] = upper(min(i, histBuckets-1))
	}
	return out
}
