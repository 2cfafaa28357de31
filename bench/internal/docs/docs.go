// Package docs is the document workload the documents scenario runs both
// through Starling and through the store alone: the collection's mappings,
// the documents (about 250 bytes, a keyword field of Cities distinct
// values), their ids and the search bodies, so that both sides write and
// read the same bytes.
//
// docs imports nothing of Starling's.
package docs

import (
	"strconv"
)

// The collection the workload uses.
const (
	Index      = "bench"
	Collection = "docs"
)

// Cities is the number of distinct values of the mapped keyword field
// "city": a term search matches about n/Cities of n documents.
const Cities = 1000

// BatchSize is the documents per preload write: Kuzzle's default
// limits.documentsWriteCount.
const BatchSize = 200

// Mappings is the collection's mappings: the fields searched by value are
// mapped, the others are not indexed (dynamic false).
const Mappings = `{"dynamic":"false","properties":{"city":{"type":"keyword"},"age":{"type":"integer"},"name":{"type":"keyword"}}}`

// ID is the _id of the i-th preloaded document.
func ID(i int) string { return "d" + strconv.Itoa(i) }

// City is the i-th value of the city field.
func City(i int) string { return "city-" + strconv.Itoa(i%Cities) }

// AppendBody appends the i-th document, a JSON object.
func AppendBody(dst []byte, i int) []byte {
	dst = append(dst, `{"name":"user-`...)
	dst = strconv.AppendInt(dst, int64(i), 10)
	dst = append(dst, `","age":`...)
	dst = strconv.AppendInt(dst, int64(18+i%80), 10)
	dst = append(dst, `,"city":"`...)
	dst = append(dst, City(i*7919)...) // spread: consecutive documents differ
	dst = append(dst, `","tags":["blue","green"],"score":`...)
	dst = strconv.AppendFloat(dst, float64(i%1000)/10, 'f', 1, 64)
	dst = append(dst, `,"text":"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua."}`...)
	return dst
}

// AppendSearch appends a search body for the documents whose city is the
// i-th value, Elasticsearch's term query.
func AppendSearch(dst []byte, i int) []byte {
	dst = append(dst, `{"query":{"term":{"city":"`...)
	dst = append(dst, City(i)...)
	return append(dst, `"}}}`...)
}
