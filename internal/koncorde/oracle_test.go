package koncorde

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/starlingmq/starling/internal/jsonx"
)

// oracle is the real koncorde 4.7.0 (npm) behind testdata/koncorde-oracle.js.
type oracle struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

type oracleRequest struct {
	Filters       []map[string]any `json:"filters"`
	Docs          []map[string]any `json:"docs"`
	MaxConditions int              `json:"maxConditions"`
}

type oracleAnswer struct {
	Rejected []*string `json:"rejected"`
	Matches  [][]int   `json:"matches"`
	Fatal    string    `json:"fatal"`
}

// startOracle starts the node process, or skips the test when node or the
// npm package is missing (fails instead under STARLING_REQUIRE_ALL=1).
func startOracle(t *testing.T) *oracle {
	t.Helper()
	modules, _ := filepath.Abs(filepath.Join("..", "..", "bench", "node", "node_modules"))
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join(modules, "koncorde", "package.json"))
	}
	if err != nil {
		msg := "koncorde (npm) not installed: run npm ci --prefix bench/node"
		if os.Getenv("STARLING_REQUIRE_ALL") == "1" {
			t.Fatalf("%s (%v)", msg, err)
		}
		t.Skip(msg)
	}
	cmd := exec.Command(node, filepath.Join("testdata", "koncorde-oracle.js"), modules)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start oracle: %v", err)
	}
	o := &oracle{cmd: cmd, in: in, out: bufio.NewScanner(out)}
	o.out.Buffer(make([]byte, 1<<20), 64<<20)
	t.Cleanup(func() {
		in.Close()
		_ = cmd.Wait()
	})
	return o
}

func (o *oracle) ask(req oracleRequest) (*oracleAnswer, error) {
	line, err := jsonx.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	if _, err := o.in.Write(append(line, '\n')); err != nil {
		return nil, fmt.Errorf("write to oracle: %w", err)
	}
	if !o.out.Scan() {
		return nil, fmt.Errorf("oracle closed: %v", o.out.Err())
	}
	var a oracleAnswer
	if err := jsonx.Unmarshal(o.out.Bytes(), &a); err != nil {
		return nil, fmt.Errorf("decode answer: %w", err)
	}
	if a.Fatal != "" {
		return nil, errors.New(a.Fatal)
	}
	return &a, nil
}

// knownDefect tells koncorde rejections Starling deliberately does not
// copy: "not" around geo keywords inside and/or ("geospatial": unknown
// keyword) and around nothing or select (its storage has no such operand).
func knownDefect(msg string) bool {
	return strings.Contains(msg, `geospatial": unknown keyword`) ||
		strings.Contains(msg, "is not a function")
}

func TestDifferentialKoncorde(t *testing.T) {
	o := startOracle(t)
	const (
		batches = 60
		filters = 60
		docs    = 60
	)
	pairs, matched, rejected, defects, tolerated := 0, 0, 0, 0, 0
	for b := 0; b < batches; b++ {
		g := newGen(uint64(1000 + b))
		req := oracleRequest{MaxConditions: 50}
		if b%5 == 4 {
			req.MaxConditions = 6
		}
		for range filters {
			req.Filters = append(req.Filters, g.filter(3))
		}
		for range docs {
			req.Docs = append(req.Docs, g.document())
		}
		// Round-trip through JSON so that both engines see the same values.
		req = roundTrip(t, req)
		want, err := o.ask(req)
		if err != nil {
			t.Fatalf("batch %d: %v", b, err)
		}
		got, shapes := starlingAnswer(req)
		skip := map[int]bool{}
		for i, f := range req.Filters {
			k, s := want.Rejected[i], got.Rejected[i]
			switch {
			case k != nil && s == nil && knownDefect(*k):
				defects++
				skip[i] = true
			case (k == nil) != (s == nil):
				t.Errorf("batch %d filter %d %s: koncorde rejected=%v, starling rejected=%v", b, i, show(f), deref(k), deref(s))
				skip[i] = true
			case k != nil:
				rejected++
				skip[i] = true
			}
		}
		for d := range req.Docs {
			kset, sset := toSet(want.Matches[d]), toSet(got.Matches[d])
			for i := range req.Filters {
				if skip[i] {
					continue
				}
				pairs++
				if kset[i] == sset[i] {
					if kset[i] {
						matched++
					}
					continue
				}
				if nearGeoBoundary(shapes[i], req.Docs[d]) {
					tolerated++
					continue
				}
				t.Errorf("batch %d filter %d %s doc %s: koncorde=%v starling=%v", b, i, show(req.Filters[i]), show(req.Docs[d]), kset[i], sset[i])
			}
		}
		if t.Failed() {
			return
		}
	}
	t.Logf("%d (filter, document) pairs agree (%d of them match); %d filters rejected by both; %d filters hit known koncorde defects; %d pairs within geo rounding margin",
		pairs, matched, rejected, defects, tolerated)
	if pairs < 100000 {
		t.Errorf("only %d pairs compared", pairs)
	}
}

func roundTrip(t *testing.T, req oracleRequest) oracleRequest {
	raw, err := jsonx.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	var out oracleRequest
	if err := jsonx.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// starlingAnswer runs a request through a fresh Starling engine, without
// external filters: the generator never writes the wasm keyword, which
// koncorde does not know (external_test.go covers it). It also
// returns the geo shapes of each filter for the boundary tolerance.
func starlingAnswer(req oracleRequest) (*oracleAnswer, [][]*shape) {
	e := New(WithMaxConditions(req.MaxConditions))
	a := &oracleAnswer{Rejected: make([]*string, len(req.Filters))}
	byID := map[string][]int{}
	shapes := make([][]*shape, len(req.Filters))
	for i, f := range req.Filters {
		n, err := e.Normalize("", "", f)
		if err != nil {
			msg := err.Error()
			a.Rejected[i] = &msg
			continue
		}
		e.Store(n)
		byID[n.ID] = append(byID[n.ID], i)
		for _, t := range n.form.terms {
			for _, l := range t {
				if l.c.kw == kwGeo {
					shapes[i] = append(shapes[i], l.c.shape)
				}
			}
		}
	}
	for j, d := range req.Docs {
		var ids []string
		if j%2 == 0 {
			ids = e.Test("", "", d)
		} else {
			raw, _ := jsonx.Marshal(d)
			ids, _ = e.TestJSON("", "", raw)
		}
		var m []int
		for _, id := range ids {
			m = append(m, byID[id]...)
		}
		a.Matches = append(a.Matches, m)
	}
	return a, shapes
}

// nearGeoBoundary reports whether the document's point is so close to the
// edge of one of the shapes that Boost's geodesic arithmetic and ours may
// round differently (polygon edges are geodesics there, straight here).
func nearGeoBoundary(shapes []*shape, doc map[string]any) bool {
	p, ok := toPoint(doc["loc"])
	if !ok {
		return false
	}
	const deg = 0.01
	for _, s := range shapes {
		near := func(a, b float64) bool { return math.Abs(a-b) < deg }
		if near(p.lat, s.minLat) || near(p.lat, s.maxLat) || near(p.lon, s.minLon) || near(p.lon, s.maxLon) {
			return true
		}
		switch s.kind {
		case geoCircle, geoAnnulus:
			d := distance(s.center, p)
			if math.Abs(d-s.outer) < 0.005*s.outer || math.Abs(d-s.inner) < 0.005*s.outer {
				return true
			}
		case geoPolygon:
			for i := range s.poly {
				a, b := s.poly[i], s.poly[(i+1)%len(s.poly)]
				if segmentDistance(a, b, p) < 0.02 {
					return true
				}
			}
		}
	}
	return false
}

func segmentDistance(a, b, p point) float64 {
	dx, dy := b.lon-a.lon, b.lat-a.lat
	t := ((p.lon-a.lon)*dx + (p.lat-a.lat)*dy) / (dx*dx + dy*dy)
	t = math.Max(0, math.Min(1, t))
	return math.Hypot(p.lon-(a.lon+t*dx), p.lat-(a.lat+t*dy))
}

func toSet(xs []int) map[int]bool {
	m := make(map[int]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

func deref(s *string) string {
	if s == nil {
		return "<accepted>"
	}
	return *s
}

func show(v any) string {
	raw, _ := jsonx.Marshal(v)
	return string(raw)
}
