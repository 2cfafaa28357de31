package dispatcher

import (
	"maps"
	"testing"
)

func TestCounts(t *testing.T) {
	var c counts
	steps := []struct {
		do                         func()
		ongoing, completed, failed map[string]int64
	}{
		{func() { c.begin("mqtt"); c.begin("mqtt"); c.begin("") }, map[string]int64{"mqtt": 2}, nil, nil},
		{func() { c.finish("mqtt", false) }, map[string]int64{"mqtt": 1}, map[string]int64{"mqtt": 1}, nil},
		{func() { c.finish("mqtt", true); c.finish("", true) }, map[string]int64{"mqtt": 0}, map[string]int64{"mqtt": 1}, map[string]int64{"mqtt": 1}},
		{func() { c.refused("mqtt"); c.refused("") }, map[string]int64{"mqtt": 0}, map[string]int64{"mqtt": 1}, map[string]int64{"mqtt": 2}},
	}
	for i, s := range steps {
		s.do()
		r := c.result(StatsResult{})
		if !maps.Equal(r.Ongoing, s.ongoing) || !maps.Equal(r.Completed, s.completed) || !maps.Equal(r.Failed, s.failed) {
			t.Errorf("step %d: %+v", i, r)
		}
	}
	r := c.result(StatsResult{})
	r.Failed["mqtt"] = 99
	if c.failed["mqtt"] != 2 {
		t.Error("result shares the counters' maps")
	}
}
