package hist

import (
	"testing"
	"time"
)

func TestQuantiles(t *testing.T) {
	var h Histogram
	for i := 1; i <= 100000; i++ {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 50 * time.Millisecond}, {0.99, 99 * time.Millisecond}, {0.999, 99900 * time.Microsecond}, {1, 100 * time.Millisecond}} {
		got := h.Quantile(c.q)
		if d := float64(got-c.want) / float64(c.want); d > 0.035 || d < -0.035 {
			t.Errorf("q%.3f = %s, want %s", c.q, got, c.want)
		}
	}
	var small Histogram
	small.Record(3)
	if got := small.Quantile(0.5); got != 3 {
		t.Errorf("exact small values: got %d", got)
	}
}

func TestIndexIsMonotonic(t *testing.T) {
	prev := 0
	for v := int64(0); v < 1<<20; v++ {
		i := index(v)
		if i < prev || i > prev+1 {
			t.Fatalf("index(%d) = %d after %d", v, i, prev)
		}
		if lo := value(i); v < 64 && lo != v {
			t.Fatalf("value(%d) = %d", i, lo)
		}
		prev = i
	}
}
