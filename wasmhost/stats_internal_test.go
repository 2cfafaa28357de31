package wasmhost

import (
	"testing"
	"time"
)

// TestHistogramQuantiles: quantiles are the upper bound of the bucket that
// holds them, within a bucket's width (2^(1/4), ~19 %) of the truth.
func TestHistogramQuantiles(t *testing.T) {
	var h histogram
	if q := h.quantiles(0.5, 0.99); q[0] != 0 || q[1] != 0 {
		t.Fatalf("empty: %v", q)
	}
	for i := 1; i <= 1000; i++ {
		h.add(time.Duration(i) * time.Microsecond)
	}
	h.add(time.Hour) // past the last bound: counted in the last bucket
	q := h.quantiles(0.5, 0.99, 1)
	within := func(got, want time.Duration) bool {
		return got >= want && float64(got) <= float64(want)*1.19
	}
	if !within(q[0], 500*time.Microsecond) || !within(q[1], 990*time.Microsecond) {
		t.Fatalf("p50 %v, p99 %v", q[0], q[1])
	}
	if q[2] != upper(histBuckets-1) {
		t.Fatalf("max %v, want the last bound %v", q[2], upper(histBuckets-1))
	}
	if bucket(0) != 0 || bucket(-time.Second) != 0 || bucket(time.Microsecond) != 0 || bucket(2*time.Microsecond) != histPerStep {
		t.Fatal("bucket bounds")
	}
}

func BenchmarkRecordStats(b *testing.B) {
	var s moduleStats
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.record(time.Duration(i%5000)*time.Microsecond, false, false)
	}
}
