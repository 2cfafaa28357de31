// Package jsonx is the one place that names Starling's JSON codec. Every
// package encodes and decodes through it, so the codec can be swapped here
// alone. It has the encoding/json API shape and imports nothing of Starling's.
package jsonx

import (
	"bytes"

	json "github.com/goccy/go-json"
)

// RawMessage is a raw encoded JSON value, kept as is.
type RawMessage = json.RawMessage

// Number is a JSON number kept as its literal text.
type Number = json.Number

// Marshal returns the JSON encoding of v. Like JavaScript's JSON.stringify,
// and unlike encoding/json, it leaves <, > and & unescaped.
func Marshal(v any) ([]byte, error) { return json.MarshalNoEscape(v) }

// Unmarshal parses data into v.
func Unmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }

// Valid reports whether data is one valid JSON value.
func Valid(data []byte) bool { return json.Valid(data) }

// AppendString appends s as a JSON string, as Marshal writes it.
func AppendString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			encoded, _ := Marshal(s) // a string always encodes
			return append(dst, encoded...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// Indent appends to dst an indented form of the JSON src, as
// JSON.stringify(value, undefined, indent) writes it.
func Indent(dst *bytes.Buffer, src []byte, prefix, indent string) error {
	return json.Indent(dst, src, prefix, indent)
}
