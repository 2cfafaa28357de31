package storetest

import (
	"testing"

	"github.com/starlingmq/starling/internal/store/sqlstore"
)

// Opener opens one store, the same each time it is called (to test what
// survives a reopen); the test closes what it opens.
type Opener func(t testing.TB) *sqlstore.Engine

// Fresh makes a new, empty store for t (a directory, a database) and
// returns its Opener.
type Fresh func(t testing.TB) Opener

// suite lists the dialect-neutral store tests.
var suite = []struct {
	name string
	run  func(*testing.T, Fresh)
}{
	{"DocumentsSurviveReopen", testDocumentsSurviveReopen},
	{"WriteKinds", testWriteKinds},
	{"MappingsRefuseAndGrow", testMappingsRefuseAndGrow},
	{"SearchCountAndSort", testSearchCountAndSort},
	{"SearchAggregations", testSearchAggregations},
	{"ScrollToTheEndAndExpiry", testScrollToTheEndAndExpiry},
	{"DottedKeysAreFound", testDottedKeysAreFound},
	{"SearchUnknownCollection", testSearchUnknownCollection},
	{"ScrollReadsEveryDocumentOnce", testScrollReadsEveryDocumentOnce},
	{"TextSearchUsesTheFullTextIndex", testTextSearchUsesTheFullTextIndex},
	{"ArraysAppearingLater", testArraysAppearingLater},
	{"ArraysSearchedInSQL", testArraysSearchedInSQL},
	{"GetsAcrossManyCollections", testGetsAcrossManyCollections},
	{"IndexAndCollectionLifecycle", testIndexAndCollectionLifecycle},
	{"SourceBytesOfEveryRead", testSourceBytesOfEveryRead},
}

// Run runs the store test suite on the stores fresh makes, each test in a
// subtest of t.
func Run(t *testing.T, fresh Fresh) {
	for _, tc := range suite {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, fresh) })
	}
}
