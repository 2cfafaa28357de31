package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/starlingmq/starling/internal/jsonx"
)

// envPrefix starts every environment variable that overrides a key; it is
// matched without regard to case, as Kuzzle's rc loader does.
const envPrefix = "kuzzle_"

// Sources says where Load reads from. The zero value reads defaults only.
type Sources struct {
	// File is the kuzzlerc file named on the command line (--config). When
	// set, it must exist, and it overrides every file found by lookup.
	File string
	// Env is the process environment as "KEY=value" strings.
	Env []string
	// WorkDir starts the upward search for a .kuzzlerc file; "" skips it.
	WorkDir string
	// HomeDir is searched for ~/.kuzzlerc and ~/.config/kuzzle; "" skips it.
	HomeDir string
	// EtcDir replaces /etc in the lookup; "" skips the /etc files.
	EtcDir string
}

// OSSources returns the sources of a real process: its environment, working
// directory, home directory and /etc, plus the --config file if any.
func OSSources(file string) Sources {
	wd, _ := os.Getwd()
	home, _ := os.UserHomeDir()
	return Sources{File: file, Env: os.Environ(), WorkDir: wd, HomeDir: home, EtcDir: "/etc"}
}

// Load merges defaults, kuzzlerc files and environment variables, in that
// order of increasing precedence, and returns the typed configuration.
func Load(src Sources) (*Config, error) {
	tree := map[string]any{}
	files, err := lookup(src)
	if err != nil {
		return nil, err
	}
	last := ""
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read config file %s: %w", path, err)
		}
		var parsed map[string]any
		if err := jsonx.Unmarshal(data, &parsed); err != nil {
			return nil, fmt.Errorf("config file %s is not a JSON object: %w", path, err)
		}
		merge(tree, parsed)
		last = path
	}
	merge(tree, fromEnv(src.Env))
	if err := unstringify(tree, ""); err != nil {
		return nil, err
	}
	// A "*json:" value replaces a whole object: keys it leaves out fall back
	// to their defaults rather than going missing.
	full := defaults()
	merge(full, tree)
	cfg, err := decode(full, explicitWasmDir(tree))
	if err != nil {
		return nil, err
	}
	cfg.File = last
	cfg.DevelopmentEnv = envValue(src.Env, "NODE_ENV") == "development"
	return cfg, nil
}

// explicitWasmDir reports whether the files or the environment, rather than
// the defaults, named plugins.wasm.dir.
func explicitWasmDir(tree map[string]any) bool {
	plugins, _ := tree["plugins"].(map[string]any)
	wasm, _ := plugins["wasm"].(map[string]any)
	_, ok := wasm["dir"]
	return ok
}

// lookup lists the kuzzlerc files to read, lowest precedence first, the way
// rc("kuzzle") finds them.
func lookup(src Sources) ([]string, error) {
	var candidates []string
	if src.EtcDir != "" {
		candidates = append(candidates,
			filepath.Join(src.EtcDir, "kuzzlerc"),
			filepath.Join(src.EtcDir, "kuzzle", "config"))
	}
	if src.HomeDir != "" {
		candidates = append(candidates,
			filepath.Join(src.HomeDir, ".kuzzlerc"),
			filepath.Join(src.HomeDir, ".kuzzle", "config"),
			filepath.Join(src.HomeDir, ".config", "kuzzle"),
			filepath.Join(src.HomeDir, ".config", "kuzzle", "config"))
	}
	if found := findUp(src.WorkDir, ".kuzzlerc"); found != "" {
		candidates = append(candidates, found)
	}
	var files []string
	for _, path := range candidates {
		if info, err := os.Stat(path); err == nil && info.Mode().IsRegular() {
			files = append(files, path)
		}
	}
	if src.File != "" {
		if _, err := os.Stat(src.File); err != nil {
			return nil, fmt.Errorf("config file %s: %w", src.File, err)
		}
		files = append(files, src.File)
	}
	return files, nil
}

// findUp returns the first dir/name found walking from dir to the root.
func findUp(dir, name string) string {
	if dir == "" {
		return ""
	}
	for {
		path := filepath.Join(dir, name)
		info, err := os.Stat(path)
		if err == nil && info.Mode().IsRegular() {
			return path
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return ""
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// fromEnv builds a tree from kuzzle_a__b__c=value variables.
func fromEnv(env []string) map[string]any {
	tree := map[string]any{}
	for _, kv := range env {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || len(name) <= len(envPrefix) || !strings.EqualFold(name[:len(envPrefix)], envPrefix) {
			continue
		}
		var path []string
		for _, part := range strings.Split(name[len(envPrefix):], "__") {
			if part != "" {
				path = append(path, part)
			}
		}
		if len(path) == 0 {
			continue
		}
		node := tree
		for _, part := range path[:len(path)-1] {
			child, ok := node[part].(map[string]any)
			if !ok {
				child = map[string]any{}
				node[part] = child
			}
			node = child
		}
		node[path[len(path)-1]] = value
	}
	return tree
}

// envValue returns the value of name in env, "" if unset.
func envValue(env []string, name string) string {
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return ""
}

// merge deep-merges src into dst: objects merge key by key, anything else
// (arrays included) replaces.
func merge(dst, src map[string]any) {
	for k, v := range src {
		if sub, ok := v.(map[string]any); ok {
			if into, ok := dst[k].(map[string]any); ok {
				merge(into, sub)
				continue
			}
			copied := map[string]any{}
			merge(copied, sub)
			dst[k] = copied
			continue
		}
		dst[k] = v
	}
}

var (
	integerText = regexp.MustCompile(`^[-+]?[0-9]+$`)
	decimalText = regexp.MustCompile(`^[-+]?[0-9]+(\.[0-9]+)?$`)
)

// unstringify types string values the way Kuzzle does, except under keys
// ending in "version".
func unstringify(tree map[string]any, prefix string) error {
	for k, v := range tree {
		if strings.HasSuffix(strings.ToLower(k), "version") {
			continue
		}
		switch x := v.(type) {
		case map[string]any:
			if err := unstringify(x, prefix+k+"."); err != nil {
				return err
			}
		case string:
			typed, err := typedString(x)
			if err != nil {
				return fmt.Errorf("configuration key %s%s: %w", prefix, k, err)
			}
			tree[k] = typed
		}
	}
	return nil
}

// typedString turns one string value into the value it stands for.
func typedString(s string) (any, error) {
	switch {
	case s == "true":
		return true, nil
	case s == "false":
		return false, nil
	case strings.HasPrefix(s, "*json:"):
		var v any
		if err := jsonx.Unmarshal([]byte(s[len("*json:"):]), &v); err != nil {
			return nil, fmt.Errorf("not a valid stringified JSON (%s): %w", s, err)
		}
		return v, nil
	case integerText.MatchString(s), decimalText.MatchString(s):
		return strconv.ParseFloat(s, 64)
	}
	return s, nil
}
