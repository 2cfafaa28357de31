//go:build wasip1

// Command goempty is the smallest Go controller: actions "empty" (null) and
// "panic", for the benchmark and the panic test.
package main

import "github.com/starlingmq/starling/guests/go/starling"

func init() {
	starling.Controller("bench", []string{"empty", "panic"}, func(req *starling.Request) (any, error) {
		if req.Action == "panic" {
			panic("the guest panics")
		}
		return nil, nil
	})
}

func main() {}
