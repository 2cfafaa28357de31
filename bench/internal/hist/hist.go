// Package hist is a fixed-size log-linear latency histogram: 32 buckets per
// power of two, so quantiles are within about 3 % of the exact value, and
// recording costs no allocation. Not safe for concurrent use: keep one per
// goroutine and Merge them at the end.
//
// hist imports nothing of Starling's.
package hist

import (
	"math/bits"
	"time"
)

const subBits = 5 // 32 sub-buckets per power of two

// Histogram counts durations.
type Histogram struct {
	counts [(64 - subBits + 1) << subBits]uint64
	n      uint64
	max    int64
}

func index(v int64) int {
	if v < 0 {
		v = 0
	}
	msb := bits.Len64(uint64(v))
	if msb <= subBits+1 {
		return int(v)
	}
	shift := msb - subBits - 1
	return shift<<subBits + int(v>>shift)
}

// value is the middle of bucket i.
func value(i int) int64 {
	if i < 2<<subBits {
		return int64(i)
	}
	shift := i>>subBits - 1
	m := int64(i&(1<<subBits-1) | 1<<subBits)
	return m<<shift + (int64(1)<<shift)/2
}

// Record counts one duration.
func (h *Histogram) Record(d time.Duration) {
	h.counts[index(int64(d))]++
	h.n++
	h.max = max(h.max, int64(d))
}

// Count is the number of recorded durations.
func (h *Histogram) Count() uint64 { return h.n }

// Merge adds o's counts to h.
func (h *Histogram) Merge(o *Histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.max = max(h.max, o.max)
}

// Quantile returns the duration below which a fraction q of the recorded
// ones fall (0 when empty).
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n) + 0.5)
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return time.Duration(min(value(i), h.max))
		}
	}
	return time.Duration(h.max)
}
