package koncorde

import (
	"math"
	"slices"
)

var negInf = math.Inf(-1)

// geoIndex finds the geo conditions of one field whose shape contains a
// point. It is a hierarchy of grids: a shape goes to the finest level where
// its envelope spans one to two cells each way, in every cell it touches
// there; a point looks up one cell per level in use, tests the envelopes
// stored in the cell, then runs the exact test on the shapes whose
// envelope holds it.
type geoIndex struct {
	cells  map[uint64][]geoCellItem
	levels [geoLevels]int // shapes per level
	wide   []*entry       // envelopes too large or not finite
	n      int
}

const geoLevels = 24

// geoCellItem is a shape in a cell, its envelope copied alongside so that
// most candidates are dismissed without reading the shape. The copy is
// rounded outwards to float32, two items a cache line: the exact test
// rechecks the exact envelope.
type geoCellItem struct {
	minLat, minLon, maxLat, maxLon float32
	shape                          *shape
	e                              *entry
}

// down and up round to a float32 at most, and at least, x.
func down(x float64) float32 {
	f := float32(x)
	if float64(f) > x {
		f = math.Nextafter32(f, float32(math.Inf(-1)))
	}
	return f
}

func up(x float64) float32 {
	f := float32(x)
	if float64(f) < x {
		f = math.Nextafter32(f, float32(math.Inf(1)))
	}
	return f
}

func newGeoIndex() *geoIndex { return &geoIndex{cells: map[uint64][]geoCellItem{}} }

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
	l := int(math.Floor(math.Log2(360/span))) + 1
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
	sh := e.c.shape
	item := geoCellItem{minLat: down(sh.minLat), minLon: down(sh.minLon), maxLat: up(sh.maxLat), maxLon: up(sh.maxLon), shape: sh, e: e}
	x0, x1, y0, y1 := g.cellRange(sh, level)
	for x := x0; x <= x1; x++ {
		for y := y0; y <= y1; y++ {
			k := cellKey(level, x, y)
			g.cells[k] = append(g.cells[k], item)
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
			rest := slices.DeleteFunc(g.cells[k], func(it geoCellItem) bool { return it.e == e })
			if len(rest) > 0 {
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
		cell := g.cells[k]
		lat, lon := float64(p.lat), float64(p.lon)
		for i := range cell {
			it := &cell[i]
			if lat >= float64(it.minLat) && lat <= float64(it.maxLat) && lon >= float64(it.minLon) && lon <= float64(it.maxLon) &&
				it.shape.contains(p) {
				sc.hit(it.e, pr)
			}
		}
	}
}
