package koncorde

import "math"

var negInf = math.Inf(-1)

// geoIndex finds the geo conditions of one field whose shape contains a
// point. It is a hierarchy of grids: a shape goes to the finest level where
// its envelope spans at most two cells each way, in every cell it touches
// there; a point looks up one cell per level in use, then runs the exact
// test on what it finds.
type geoIndex struct {
	cells  map[uint64][]*entry
	levels [geoLevels]int // shapes per level
	wide   []*entry       // envelopes too large or not finite
	n      int
}

const geoLevels = 24

func newGeoIndex() *geoIndex { return &geoIndex{cells: map[uint64][]*entry{}} }

func (g *geoIndex) len() int { return g.n }

// level returns the grid level of an envelope, -1 for the wide list.
func geoLevel(s *shape) int {
	span := math.Max(s.maxLat-s.minLat, s.maxLon-s.minLon)
	if math.IsNaN(span) || math.IsInf(span, 0) || span >= 360 {
		return -1
	}
	if span <= 0 {
		return geoLevels - 1
	}
	l := int(math.Floor(math.Log2(360 / span)))
	return min(max(l, 0), geoLevels-1)
}

func cellSize(level int) float64 { return 360 / float64(uint64(1)<<level) }

func cellKey(level int, ix, iy int64) uint64 {
	const off = 1 << 28
	return uint64(level)<<58 | uint64(ix+off)&(1<<29-1)<<29 | uint64(iy+off)&(1<<29-1)
}

func (g *geoIndex) cellRange(s *shape, level int) (x0, x1, y0, y1 int64) {
	size := cellSize(level)
	return int64(math.Floor(s.minLon / size)), int64(math.Floor(s.maxLon / size)),
		int64(math.Floor(s.minLat / size)), int64(math.Floor(s.maxLat / size))
}

func (g *geoIndex) add(e *entry) {
	g.n++
	level := geoLevel(e.c.shape)
	if level < 0 {
		g.wide = append(g.wide, e)
		return
	}
	g.levels[level]++
	x0, x1, y0, y1 := g.cellRange(e.c.shape, level)
	for x := x0; x <= x1; x++ {
		for y := y0; y <= y1; y++ {
			k := cellKey(level, x, y)
			g.cells[k] = append(g.cells[k], e)
		}
	}
}

func (g *geoIndex) remove(e *entry) {
	g.n--
	level := geoLevel(e.c.shape)
	if level < 0 {
		g.wide = deleteFirst(g.wide, e)
		return
	}
	g.levels[level]--
	x0, x1, y0, y1 := g.cellRange(e.c.shape, level)
	for x := x0; x <= x1; x++ {
		for y := y0; y <= y1; y++ {
			k := cellKey(level, x, y)
			if rest := deleteFirst(g.cells[k], e); len(rest) > 0 {
				g.cells[k] = rest
			} else {
				delete(g.cells, k)
			}
		}
	}
}

// query hits every condition whose shape contains p, each once.
func (g *geoIndex) query(p point, sc *scratch, pr *probe) {
	for _, e := range g.wide {
		if e.c.shape.contains(p) {
			sc.hit(e, pr)
		}
	}
	for level, n := range g.levels {
		if n == 0 {
			continue
		}
		size := cellSize(level)
		k := cellKey(level, int64(math.Floor(p.lon/size)), int64(math.Floor(p.lat/size)))
		for _, e := range g.cells[k] {
			if e.c.shape.contains(p) {
				sc.hit(e, pr)
			}
		}
	}
}
