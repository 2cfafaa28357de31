package main

import (
	"bytes"
	"time"

	"github.com/starlingmq/starling/bench/internal/docs"
	"github.com/starlingmq/starling/bench/internal/mqttc"
)

// phaseOn is a phase and the number of connections it runs on.
type phaseOn struct {
	docPhase
	conns int
}

// documentsPhases are the scenario's phases on Starling, in the order of
// documentsCases. The preload uses document:mCreate; a server without it
// (the probe on c answers api.process.action_not_found) is preloaded by
// document:create with ids instead.
// viaMCreate is false after that fallback.
func documentsPhases(c *mqttc.Conn, cfg DocumentsConfig) (phases []phaseOn, viaMCreate bool) {
	batches := (cfg.Docs + docs.BatchSize - 1) / docs.BatchSize
	preload := docPhase{Window: cfg.PreloadWindow, Count: batches, Units: docs.BatchSize, Build: func(dst []byte, seq int, rid string) []byte {
		return appendMCreate(dst, seq*docs.BatchSize, min(seq*docs.BatchSize+docs.BatchSize, cfg.Docs), rid)
	}, Check: func(p []byte) bool { return ok(p) && bytes.Contains(p, []byte(`"errors":[]`)) }}
	preloadConns := cfg.PreloadConns
	viaMCreate = hasMCreate(c)
	if !viaMCreate {
		preload = docPhase{Window: cfg.Window, Count: cfg.Docs, Build: func(dst []byte, seq int, rid string) []byte {
			return appendCreate(dst, docs.ID(seq), seq, rid)
		}}
		preloadConns = cfg.Conns
	}
	search := func(dst []byte, seq int, rid string) []byte { return appendSearch(dst, spread(seq, docs.Cities), rid) }
	searchOK := func(p []byte) bool {
		return ok(p) && (cfg.Docs < 10*docs.Cities || bytes.Contains(p, []byte(`"hits":[{`)))
	}
	inFlight := func(b func([]byte, int, string) []byte, check func([]byte) bool) phaseOn {
		return phaseOn{docPhase{Window: cfg.Window, Count: maxPhaseOps, Duration: cfg.Duration, Build: b, Check: check}, cfg.Conns}
	}
	return []phaseOn{
		{preload, preloadConns},
		inFlight(func(dst []byte, seq int, rid string) []byte { return appendCreate(dst, "", cfg.Docs+seq, rid) }, nil),
		inFlight(func(dst []byte, seq int, rid string) []byte {
			return appendGet(dst, docs.ID(spread(seq, cfg.Docs)), rid)
		}, nil),
		inFlight(search, searchOK),
		{docPhase{Window: cfg.FewWindow, Count: maxPhaseOps, Duration: cfg.Duration, Build: search, Check: searchOK}, 1},
	}, viaMCreate
}

// maxPhaseOps bounds the requests of a timed phase.
const maxPhaseOps = 10_000_000

// spread maps seq to [0, n) in a scattered order (a multiplicative hash).
func spread(seq, n int) int {
	return int((uint64(seq) * 0x9E3779B97F4A7C15 >> 16) % uint64(max(n, 1)))
}

// hasMCreate asks for document:mCreate with no document, which Kuzzle
// refuses with a 400 when the action exists.
func hasMCreate(c *mqttc.Conn) bool {
	p, _ := request(c, []byte(`{"controller":"document","action":"mCreate","index":"`+docs.Index+`","collection":"`+docs.Collection+
		`","requestId":"probe-mcreate","body":{"documents":[]}}`), 30*time.Second)
	return !bytes.Contains(p, []byte(`api.process.action_not_found`))
}

// appendTarget appends the start of a document request.
func appendTarget(dst []byte, action, rid string) []byte {
	dst = append(dst, `{"controller":"document","action":"`...)
	dst = append(dst, action...)
	dst = append(dst, `","index":"`+docs.Index+`","collection":"`+docs.Collection+`","requestId":"`...)
	dst = append(dst, rid...)
	return append(dst, '"')
}

// appendCreate appends document:create of document i, with id ("" for a
// generated one).
func appendCreate(dst []byte, id string, i int, rid string) []byte {
	dst = appendTarget(dst, "create", rid)
	if id != "" {
		dst = append(dst, `,"_id":"`...)
		dst = append(dst, id...)
		dst = append(dst, '"')
	}
	dst = append(dst, `,"body":`...)
	return append(docs.AppendBody(dst, i), '}')
}

// appendMCreate appends document:mCreate of documents [from, to).
func appendMCreate(dst []byte, from, to int, rid string) []byte {
	dst = appendTarget(dst, "mCreate", rid)
	dst = append(dst, `,"body":{"documents":[`...)
	for i := from; i < to; i++ {
		if i > from {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"_id":"`...)
		dst = append(dst, docs.ID(i)...)
		dst = append(dst, `","body":`...)
		dst = append(docs.AppendBody(dst, i), '}')
	}
	return append(dst, "]}}"...)
}

// appendGet appends document:get of id.
func appendGet(dst []byte, id, rid string) []byte {
	dst = appendTarget(dst, "get", rid)
	dst = append(dst, `,"_id":"`...)
	dst = append(dst, id...)
	return append(dst, `"}`...)
}

// appendSearch appends document:search of the i-th city, 10 hits.
func appendSearch(dst []byte, i int, rid string) []byte {
	dst = appendTarget(dst, "search", rid)
	dst = append(dst, `,"size":10,"body":`...)
	return append(docs.AppendSearch(dst, i), '}')
}
