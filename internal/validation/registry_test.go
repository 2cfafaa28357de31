package validation

import (
	"sync"
	"testing"
)

func TestRegistry(t *testing.T) {
	r := NewRegistry()
	a := mustParse(t, `{"strict":true}`)
	if r.Get("i", "c") != nil {
		t.Fatal("empty registry has a specification")
	}
	r.Set(a)
	if r.Get("i", "c") != a {
		t.Fatal("Set then Get")
	}
	other, _ := Parse("j", "c", []byte(`{}`))
	r.Set(other)
	if len(r.All()) != 2 {
		t.Fatalf("All: %d", len(r.All()))
	}
	r.DeleteIndex("j")
	if r.Get("j", "c") != nil || r.Get("i", "c") != a {
		t.Fatal("DeleteIndex")
	}
	if !r.Delete("i", "c") || r.Delete("i", "c") {
		t.Fatal("Delete reports")
	}
	r.Replace([]*Specification{a, other})
	if r.Get("i", "c") != a || r.Get("j", "c") != other {
		t.Fatal("Replace")
	}
}

func TestRegistryConcurrent(t *testing.T) {
	r := NewRegistry()
	s := mustParse(t, `{"fields":{"a":{"type":"integer","defaultValue":1}}}`)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				r.Set(s)
				r.Delete("i", "c")
			}
		}()
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				if got := r.Get("i", "c"); got != nil {
					if _, err := got.Check(Write{Body: map[string]any{}}); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
}
