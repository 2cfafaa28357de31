// Package query owns the search languages of document:search and its
// siblings: the Elasticsearch query DSL subset Kuzzle users write and
// Kuzzle's lang "koncorde", parsed into one tree; the tree's evaluation
// against a document; its translation to SQL through a small dialect; sort,
// pagination, _source filtering and aggregations.
//
// query imports internal/jsonx, internal/kerror, internal/koncorde and
// internal/store/mapping only.
package query

import "time"

// Node is one clause of a parsed query.
type Node interface{}

// Search is a parsed search body.
type Search struct {
	// Query selects documents; nil matches all.
	Query Node
	// From and Size page the hits.
	From, Size int
	// Scroll, when not 0, keeps the search open that long for scroll.
	Scroll time.Duration
}

// Dialect renders clauses in one database's SQL.
type Dialect interface{}
