package api

import (
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30s", 30 * time.Second, true},
		{"1m", time.Minute, true},
		{"500ms", 500 * time.Millisecond, true},
		{"1.5h", 90 * time.Minute, true},
		{"2000", 2 * time.Second, true},
		{"1d", 24 * time.Hour, true},
		{"", 0, false},
		{"s", 0, false},
		{"10 parsecs", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseDuration(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%q: %v %v, want %v %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
