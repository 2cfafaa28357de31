package mapping

import (
	"testing"
)

// benchDoc is a 1 KB document matching benchMapping.
const benchDoc = `{"title":"The quick brown fox jumps over the lazy dog","author":"jdoe","age":42,"score":13.37,
"published":true,"createdAt":"2024-03-01T10:20:30.123Z","location":{"lat":48.8566,"lon":2.3522},
"tags":["news","tech","science","go","kuzzle"],"address":{"street":"1 rue de Rivoli","city":"Paris",
"zip":"75001","country":"FR"},"ratings":[5,4,3,5,4,5,4,3,5,4],"comments":[{"by":"alice","text":"nice article, thanks"},
{"by":"bob","text":"I disagree with the second paragraph"},{"by":"carol","text":"great read"}],
"body":"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat.",
"_kuzzle_info":{"author":"kuid-1234","createdAt":1700000000000,"updater":null,"updatedAt":null}}`

const benchMapping = `{"dynamic":"strict","properties":{"title":{"type":"text","fields":{"keyword":{"type":"keyword","ignore_above":256}}},
"author":{"type":"keyword"},"age":{"type":"integer"},"score":{"type":"float"},"published":{"type":"boolean"},
"createdAt":{"type":"date"},"location":{"type":"geo_point"},"tags":{"type":"keyword"},
"address":{"properties":{"street":{"type":"text"},"city":{"type":"keyword"},"zip":{"type":"keyword"},"country":{"type":"keyword"}}},
"ratings":{"type":"short"},"comments":{"type":"nested","properties":{"by":{"type":"keyword"},"text":{"type":"text"}}},
"body":{"type":"text"}}}`

func BenchmarkCheck(b *testing.B) {
	m := ForCollection(mustParse(b, benchMapping))
	doc := decode(b, benchDoc)
	if added, err := m.Check(doc, Where{"i", "c", "id"}); err != nil || added != nil {
		b.Fatalf("Check = %v, %v", added, err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(benchDoc)))
	for b.Loop() {
		if _, err := m.Check(doc, Where{"i", "c", "id"}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestCheckAllocatesNothing(t *testing.T) {
	m := ForCollection(mustParse(t, benchMapping))
	doc := decode(t, benchDoc)
	allocs := testing.AllocsPerRun(100, func() {
		if added, err := m.Check(doc, Where{"i", "c", "id"}); err != nil || added != nil {
			t.Fatalf("Check = %v, %v", added, err)
		}
	})
	if allocs != 0 {
		t.Fatalf("Check allocates %v times per valid document", allocs)
	}
}

func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		checkMapping, benchMapping, `{}`, `null`, `{"dynamic":true}`, `{"properties":{"a.b":{"type":"long"}}}`,
		`{"properties":{"n":{"type":"text","fields":{"k":{"type":"keyword"}}}}}`, `{"_meta":{"dynamic":1}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := Parse(raw)
		if err != nil {
			return
		}
		out, err := m.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(%s) accepted, but its output %s is refused: %v", raw, out, err)
		}
		if out2, _ := again.MarshalJSON(); string(out2) != string(out) {
			t.Fatalf("round trip changed %s into %s", out, out2)
		}
		if _, err := Merge(m, again); err != nil {
			t.Fatalf("merging mappings with themselves: %v", err)
		}
	})
}
