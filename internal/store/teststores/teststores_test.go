package teststores_test

import (
	"os"
	"slices"
	"testing"

	"github.com/starlingmq/starling/internal/store/storetest"
	"github.com/starlingmq/starling/internal/store/teststores"
)

var stores teststores.Dialects

func TestMain(m *testing.M) { os.Exit(teststores.Main(m, &stores)) }

// TestDialectsReturnTheSameBytes writes the same documents to a SQLite
// and a PostgreSQL store and compares, read by read, the bytes each
// returns: write results, previous versions, gets, mGets, searches and
// scrolls.
func TestDialectsReturnTheSameBytes(t *testing.T) {
	reads := map[string][]string{}
	stores.Run(t, func(t *testing.T, fresh storetest.Fresh) {
		reads[t.Name()] = storetest.SourceReads(t, teststores.Open(t, fresh(t)))
	})
	lite, pg := reads[t.Name()+"/sqlite"], reads[t.Name()+"/postgres"]
	if pg == nil {
		return // PostgreSQL is not installed: its subtest skipped
	}
	if len(lite) == 0 || !slices.Equal(lite, pg) {
		for i := range max(len(lite), len(pg)) {
			if i >= len(lite) || i >= len(pg) || lite[i] != pg[i] {
				t.Fatalf("read %d differs:\nsqlite   %q\npostgres %q", i, lite[i:min(i+1, len(lite))], pg[i:min(i+1, len(pg))])
			}
		}
	}
	t.Logf("%d reads, the same bytes on both", len(lite))
}
