package sqlstore

import (
	"fmt"
	"maps"
	"slices"

	"github.com/starlingmq/starling/internal/jsonx"
)

// The engine records, per collection, every path where a document ever
// held an array (a set that only grows, in the catalogue's arrays column).
// A search on any other path compares the indexed value alone, which the
// database answers from the expression index, instead of also looking
// into arrays.

// appendArrayPaths appends to paths the dotted path of every array in v
// (prefix is v's own path), objects inside arrays included.
func appendArrayPaths(paths []string, prefix string, v any) []string {
	switch t := v.(type) {
	case map[string]any:
		for k, sub := range t {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			paths = appendArrayPaths(paths, p, sub)
		}
	case []any:
		if !slices.Contains(paths, prefix) {
			paths = append(paths, prefix)
		}
		for _, sub := range t {
			paths = appendArrayPaths(paths, prefix, sub)
		}
	}
	return paths
}

// noteArrays keeps the array paths of an op the collection does not know
// yet, for saveArrays.
func (ow *opWriter) noteArrays(paths []string) {
	for _, p := range paths {
		if _, ok := ow.col.arrays[p]; ok {
			continue
		}
		if ow.arrays == nil {
			ow.arrays = map[string]struct{}{}
		}
		ow.arrays[p] = struct{}{}
	}
}

// saveArrays records the array paths the write added, in the same
// transaction as its documents.
func (ow *opWriter) saveArrays() error {
	if len(ow.arrays) == 0 {
		return nil
	}
	// Read again on a shared database: the stored paths are a union.
	col, err := ow.w.freshCollection(ow.col.index, ow.col.name)
	if err != nil {
		return err
	}
	next := col.clone()
	if next.arrays == nil {
		next.arrays = map[string]struct{}{}
	}
	maps.Copy(next.arrays, ow.arrays)
	list, err := jsonx.Marshal(slices.Sorted(maps.Keys(next.arrays)))
	if err != nil {
		return fmt.Errorf("encode the array paths of %s:%s: %w", col.index, col.name, err)
	}
	p := ow.w.e.d.Placeholder
	if _, err := ow.w.exec("UPDATE starling_collections SET arrays = "+p(1)+" WHERE tbl = "+p(2), string(list), col.table); err != nil {
		return fmt.Errorf("record the array paths of %s:%s: %w", col.index, col.name, err)
	}
	ow.w.mutable().collections[key{col.index, col.name}] = next
	ow.w.changed(col.index, col.name)
	return nil
}
