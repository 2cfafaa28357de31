package password

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
)

// cheap is a Config fast enough for tests.
var cheap = Config{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

func TestHashAndVerify(t *testing.T) {
	h, err := NewHasher(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	enc, err := h.Hash("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	format := regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !format.MatchString(enc) {
		t.Fatalf("Hash() = %q", enc)
	}
	tests := []struct {
		password string
		want     bool
	}{
		{"correct horse battery staple", true},
		{"correct horse battery stapl", false},
		{"Correct horse battery staple", false},
		{"", false},
	}
	for _, tt := range tests {
		if got, err := h.Verify(tt.password, enc); err != nil || got != tt.want {
			t.Errorf("Verify(%q) = %v, %v; want %v", tt.password, got, err, tt.want)
		}
	}
	again, _ := h.Hash("correct horse battery staple")
	if again == enc {
		t.Fatal("two hashes of one password share their salt")
	}
	if h.NeedsRehash(enc) {
		t.Fatal("NeedsRehash() on a hash made with the hasher's own Config")
	}
}

// A hash made with other parameters still verifies, and needs a rehash.
func TestVerifyOtherParameters(t *testing.T) {
	old, _ := NewHasher(Config{Memory: 128, Iterations: 3, Parallelism: 2, SaltLength: 8, KeyLength: 16})
	enc, err := old.Hash("secret")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=128,t=3,p=2$") {
		t.Fatalf("Hash() = %q", enc)
	}
	cur, _ := NewHasher(cheap)
	if ok, err := cur.Verify("secret", enc); !ok || err != nil {
		t.Fatalf("Verify() = %v, %v", ok, err)
	}
	if ok, _ := Verify("Secret", enc); ok {
		t.Fatal("Verify(wrong password) = true")
	}
	if !cur.NeedsRehash(enc) {
		t.Fatal("NeedsRehash() = false for other parameters")
	}
	if !cur.NeedsRehash("not a hash") {
		t.Fatal("NeedsRehash() = false for an unreadable hash")
	}
}

// The reference implementation's known answers (phc-winner-argon2's
// src/test.c) verify, and a hash made with the same salt reproduces them.
func TestReferenceVectors(t *testing.T) {
	tests := []string{
		"$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4",
		"$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc",
	}
	for _, enc := range tests {
		if ok, err := Verify("password", enc); !ok || err != nil {
			t.Errorf("Verify(%q) = %v, %v", enc, ok, err)
		}
		if ok, _ := Verify("differentpassword", enc); ok {
			t.Errorf("Verify(wrong, %q) = true", enc)
		}
		c, salt, key, err := decode(enc)
		if err != nil {
			t.Fatal(err)
		}
		got := argon2.IDKey([]byte("password"), salt, c.Iterations, c.Memory, c.Parallelism, c.KeyLength)
		if encode(c, salt, got) != enc || !bytes.Equal(got, key) {
			t.Errorf("encode(IDKey) = %q, want %q", encode(c, salt, got), enc)
		}
	}
}

func TestMalformed(t *testing.T) {
	h, _ := NewHasher(cheap)
	good, _ := h.Hash("x")
	parts := strings.Split(good, "$")
	join := func(p ...string) string { return strings.Join(p, "$") }
	tests := map[string]string{
		"empty":          "",
		"bcrypt":         "$2a$10$abcdefghijklmnopqrstuu5Z2o6mfbXfCQnZ1nZ3F3g0gJ9fZr1a",
		"argon2i":        join("", "argon2i", parts[2], parts[3], parts[4], parts[5]),
		"version 16":     join("", "argon2id", "v=16", parts[3], parts[4], parts[5]),
		"no version":     join("", "argon2id", parts[3], parts[4], parts[5]),
		"bad params":     join("", "argon2id", parts[2], "m=64,t=1", parts[4], parts[5]),
		"trailing param": join("", "argon2id", parts[2], "m=64,t=1,p=1,k=2", parts[4], parts[5]),
		"huge memory":    join("", "argon2id", parts[2], "m=99999999,t=1,p=1", parts[4], parts[5]),
		"zero passes":    join("", "argon2id", parts[2], "m=64,t=0,p=1", parts[4], parts[5]),
		"padded salt":    join("", "argon2id", parts[2], parts[3], parts[4]+"==", parts[5]),
		"short key":      join("", "argon2id", parts[2], parts[3], parts[4], "AAAA"),
		"extra field":    good + "$x",
	}
	for name, enc := range tests {
		t.Run(name, func(t *testing.T) {
			ok, err := h.Verify("x", enc)
			if ok || !errors.Is(err, ErrMalformed) {
				t.Fatalf("Verify() = %v, %v; want ErrMalformed", ok, err)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"default", DefaultConfig(), true},
		{"cheap", cheap, true},
		{"no lanes", Config{Memory: 64, Iterations: 1, SaltLength: 16, KeyLength: 32}, false},
		{"memory under 8 per lane", Config{Memory: 15, Iterations: 1, Parallelism: 2, SaltLength: 16, KeyLength: 32}, false},
		{"no passes", Config{Memory: 64, Parallelism: 1, SaltLength: 16, KeyLength: 32}, false},
		{"short salt", Config{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 4, KeyLength: 32}, false},
		{"short key", Config{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 8}, false},
	}
	for _, tt := range tests {
		if err := tt.cfg.Validate(); (err == nil) != tt.ok {
			t.Errorf("%s: Validate() = %v", tt.name, err)
		}
	}
}

func BenchmarkHashDefault(b *testing.B) {
	h, _ := NewHasher(DefaultConfig())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Hash("correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyDefault(b *testing.B) {
	h, _ := NewHasher(DefaultConfig())
	enc, _ := h.Hash("correct horse battery staple")
	b.ReportAllocs()
	for b.Loop() {
		if ok, _ := h.Verify("correct horse battery staple", enc); !ok {
			b.Fatal("no match")
		}
	}
}
