package query

import (
	"regexp"
	"time"

	"github.com/starlingmq/starling/internal/jsonx"
)

// Node is one clause of a parsed query: one of the types of this file.
// Nodes are built by ParseQuery and ParseSearch (some carry compiled
// state), immutable once parsed and safe for concurrent use.
type Node interface{ node() }

// MatchAll matches every document (match_all, an empty query).
type MatchAll struct{}

// MatchNone matches no document (a query on a field that cannot hold the
// value, an analyzed query without any token).
type MatchNone struct{}

// Bool combines clauses as Elasticsearch's bool query does: every Must and
// Filter clause, no MustNot clause, and at least MinShould Should clauses.
type Bool struct {
	Must, Filter, Should, MustNot []Node
	// MinShould is minimum_should_match resolved to a count.
	MinShould int
}

// Term matches a field holding one of Values (term, terms): exact on
// keyword, number, date and boolean fields, one token of a text field.
type Term struct {
	Field  Field
	Values []any
}

// IDs matches documents by _id.
type IDs struct{ Values []string }

// Range bounds a field's values; a nil bound is open. The bounds of a
// date field are converted at parse time (with Format, else the field's
// format) to epoch milliseconds, unless they cannot be parsed.
type Range struct {
	Field            Field
	GT, GTE, LT, LTE any
	Format           string
}

// Exists matches documents holding a non-null value at Field.
type Exists struct{ Field Field }

// Prefix matches values (or tokens of a text field) starting with Value.
type Prefix struct {
	Field Field
	Value string
}

// Pattern matches values (or tokens) against a wildcard or regexp query,
// compiled to an anchored Go regexp.
type Pattern struct {
	Field Field
	// Source is the query's pattern as given, Wildcard tells its kind.
	Source   string
	Wildcard bool
	re       *regexp.Regexp
	literal  string // the pattern's literal prefix, for SQL ranges
}

// Match is an analyzed full-text query on one or more fields (match,
// match_phrase, multi_match): it matches when one field does.
type Match struct {
	Fields []Field
	Query  any
	// And requires every token (operator "and"); Phrase requires the
	// tokens in order and adjacent.
	And, Phrase bool
	// ZeroTermsAll makes a query without any token match every document
	// (zero_terms_query "all"); by default it matches none.
	ZeroTermsAll bool
	tokens       []string
}

// GeoDistance matches geo points within Meters of a center.
type GeoDistance struct {
	Field            Field
	Lat, Lon, Meters float64
}

// GeoBox matches geo points inside a bounding box.
type GeoBox struct {
	Field                    Field
	Top, Left, Bottom, Right float64
}

// GeoPolygon matches geo points inside a polygon given as lat, lon pairs.
type GeoPolygon struct {
	Field  Field
	Points [][2]float64
}

func (MatchAll) node()     {}
func (MatchNone) node()    {}
func (*Bool) node()        {}
func (*Term) node()        {}
func (*IDs) node()         {}
func (*Range) node()       {}
func (*Exists) node()      {}
func (*Prefix) node()      {}
func (*Pattern) node()     {}
func (*Match) node()       {}
func (*GeoDistance) node() {}
func (*GeoBox) node()      {}
func (*GeoPolygon) node()  {}

// Kind is how a field's values are indexed, from the mappings.
type Kind uint8

// The field kinds.
const (
	// KindDynamic is a field absent from dynamic mappings: each value is
	// taken by its JSON type (strings as text).
	KindDynamic Kind = iota
	// KindText is an analyzed text field.
	KindText
	// KindKeyword is an exact string field.
	KindKeyword
	// KindNumber is any numeric type.
	KindNumber
	// KindDate is a date (ISO 8601 strings or epoch milliseconds).
	KindDate
	// KindBool is a boolean field.
	KindBool
	// KindGeo is a geo_point.
	KindGeo
	// KindDynamicKeyword is the "keyword" sub-field of a dynamic string
	// field: the parent's strings of at most 256 bytes, exact.
	KindDynamicKeyword
	// KindUnindexed is a field no document can match: outside mappings
	// whose dynamic setting is false or strict, or mapped with index false.
	KindUnindexed
)

// Field is a field a query names, resolved against the mappings.
type Field struct {
	// Name is the dotted name as given.
	Name string
	// Path is Name split on dots; for KindDynamicKeyword, the parent's.
	Path []string
	// Kind says how values compare.
	Kind Kind
	// Format is a date field's mapped format ("" for the default
	// strict_date_optional_time||epoch_millis).
	Format string
}

// Search is a parsed document:search body.
type Search struct {
	// Query selects documents; MatchAll when absent.
	Query Node
	// Sort orders the hits; nil keeps Elasticsearch's default (_score,
	// hence insertion order here, as every score is 1).
	Sort []SortField
	// Aggregations are the requested aggregations, nil for none.
	Aggregations []Aggregation
	// Source filters the returned _source.
	Source SourceFilter
	// SearchAfter holds the sort values to continue after, nil for none.
	SearchAfter []any
	// From and Size page the hits; Size is -1 when absent (the caller
	// applies its default).
	From, Size int
	// Scroll, when not 0, keeps the search open that long for scroll. The
	// body never sets it: the caller does, from the request's arguments.
	Scroll time.Duration
}

// SortField is one sort criterion.
type SortField struct {
	// Field is the sorted field; "_id" and "_score" are the special ones.
	Field Field
	// Desc sorts in descending order.
	Desc bool
	// MissingFirst puts documents without a value first (missing "_first");
	// the default is last, whatever the order.
	MissingFirst bool
}

// SourceFilter selects the fields of _source a hit returns.
type SourceFilter struct {
	// Disabled drops _source entirely (_source: false).
	Disabled bool
	// Includes and Excludes are dotted paths, with * wildcards.
	Includes, Excludes []string
}

// decode parses raw JSON into generic values: numbers become float64.
func decode(raw jsonx.RawMessage) (any, error) {
	var v any
	if err := jsonx.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	return v, nil
}
