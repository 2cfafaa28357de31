package docs

import (
	"encoding/json"
	"testing"
)

func TestBodiesAndSearches(t *testing.T) {
	cities := map[string]bool{}
	for i := range 5000 {
		var doc struct {
			Name string
			Age  int
			City string
		}
		if err := json.Unmarshal(AppendBody(nil, i), &doc); err != nil {
			t.Fatalf("document %d: %v", i, err)
		}
		if doc.Name == "" || doc.Age < 18 || doc.City == "" {
			t.Fatalf("document %d: %+v", i, doc)
		}
		cities[doc.City] = true
	}
	if len(cities) != Cities {
		t.Errorf("%d distinct cities over 5000 documents, want %d", len(cities), Cities)
	}
	var search map[string]any
	if err := json.Unmarshal(AppendSearch(nil, 3), &search); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(Mappings), &search); err != nil {
		t.Fatal(err)
	}
	if len(AppendBody(nil, 999999)) > 300 {
		t.Errorf("documents of %d bytes, want about 250", len(AppendBody(nil, 999999)))
	}
}
