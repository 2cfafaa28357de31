package actors

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// module is the module path; the tables below name its packages by their
// path under it.
const module = "github.com/starlingmq/starling"

// importRules is the rule table: for each package of the module, the packages
// of the module it may import directly, nil for none. Each row repeats the
// rule its package's doc comment states ("x imports a and b only"): change
// both together. "dir/..." stands for dir and every package under it. Imports
// from test files do not count. A new package needs a row, and a removed one
// loses its row: the test names both.
var importRules = map[string][]string{
	// The actor graph.
	"actors":         nil,
	"actors/channel": {"internal/jsonx"},
	"actors/cluster": {"internal/config", "internal/jsonx"},
	"actors/connection": {
		"actors/channel", "actors/dispatcher", "actors/realtime/roommsg", "internal/api", "internal/httpws", "internal/mqtt",
	},
	"actors/dispatcher":       {"actors/pool", "internal/api", "internal/kerror"},
	"actors/node":             {"actors/...", "internal/...", "wasmhost"}, // the composition root
	"actors/pool":             nil,
	"actors/realtime/roommsg": nil,
	"actors/realtime": {
		"actors/channel", "actors/connection", "actors/realtime/roommsg",
		"internal/api", "internal/jsonx", "internal/kerror", "internal/koncorde",
	},

	// Libraries: no actor, no sandbox, no program.
	"internal/api":                {"internal/jsonx", "internal/kerror"},
	"internal/coherence":          {"internal/jsonx"},
	"internal/config":             {"internal/jsonx"},
	"internal/controllers/server": {"internal/api", "internal/jsonx", "internal/kerror"},
	"internal/controllers/auth": {
		"internal/api", "internal/jsonx", "internal/kerror", "internal/security",
		"internal/security/repository", "internal/security/token", "internal/store",
	},
	"internal/controllers/security": {
		"internal/api", "internal/jsonx", "internal/kerror", "internal/security",
		"internal/security/repository", "internal/security/token", "internal/store",
		"internal/store/mapping", "internal/store/query",
	},
	"internal/controllers/documents": {
		"internal/api", "internal/jsonx", "internal/kerror", "internal/store",
		"internal/store/mapping", "internal/store/query", "internal/validation",
	},
	"internal/etcdtest": nil, // the standard library only; for tests: throw-away etcd servers
	"internal/httpws":   {"internal/api", "internal/jsonx", "internal/kerror"},
	"internal/jsonx":    nil,
	"internal/nettest":  nil, // for tests: ports a started program binds
	"internal/kerror":   nil,
	"internal/koncorde": {"internal/jsonx", "internal/kerror"},
	"internal/metrics":  nil, // the standard library and client_golang only
	"internal/mqtt":     {"internal/api", "internal/kerror"},
	"internal/mqttws":   nil, // the MQTT server through an interface
	"internal/security": {"internal/jsonx", "internal/kerror"},
	"internal/security/guard": {
		"internal/api", "internal/kerror", "internal/security", "internal/security/repository", "internal/security/token",
	},
	"internal/security/repository": {
		"internal/coherence", "internal/jsonx", "internal/kerror", "internal/security", "internal/store",
		"internal/store/mapping", "internal/store/query",
	},
	"internal/wasmstate": {
		"internal/jsonx", "internal/kerror", "internal/store", "internal/store/mapping", "internal/store/query",
	},
	"internal/tlsconf":         nil, // the standard library only
	"internal/tlsconf/tlstest": nil, // the standard library only; for tests
	"internal/store":           {"internal/jsonx", "internal/kerror", "internal/store/mapping", "internal/store/query"},
	"internal/store/mapping":   {"internal/jsonx", "internal/kerror"},
	"internal/store/query":     {"internal/jsonx", "internal/kerror", "internal/koncorde", "internal/store/mapping"},
	"internal/store/postgres":  {"internal/jsonx", "internal/kerror", "internal/store/query", "internal/store/sqlstore"},
	"internal/store/sqlite":    {"internal/store", "internal/store/query", "internal/store/sqlstore"},
	"internal/store/storetest": { // for tests: the store suite and PostgreSQL clusters
		"internal/jsonx", "internal/kerror", "internal/store",
		"internal/store/mapping", "internal/store/query", "internal/store/sqlstore",
	},
	"internal/store/sqlstore": {
		"internal/coherence", "internal/jsonx", "internal/kerror", "internal/store",
		"internal/store/mapping", "internal/store/query",
	},
	"internal/store/teststores": { // for tests: stores of every dialect
		"internal/store/postgres", "internal/store/sqlite", "internal/store/sqlstore", "internal/store/storetest",
	},
	"internal/validation": {"internal/coherence", "internal/jsonx", "internal/kerror", "internal/koncorde"},

	// Security libraries: tokens and passwords.
	"internal/security/local": {
		"internal/jsonx", "internal/kerror", "internal/security/password", "internal/store",
		"internal/store/mapping", "internal/store/query",
	},
	"internal/security/password": nil,
	"internal/security/token":    {"internal/coherence", "internal/kerror"},

	"wasmhost":          {"internal/api", "internal/jsonx", "internal/kerror"},
	"wasmhost/wasmtest": {"internal/api", "internal/jsonx", "internal/kerror", "wasmhost"},

	"cmd/starling": {"actors/node", "internal/config", "internal/jsonx", "internal/kerror", "wasmhost", "wasmhost/wasmtest"},

	// Outside the server: the load harness, the guest SDK and its examples
	// (these two are built for wasip1 only).
	"bench":         {"bench/internal/...", "internal/nettest"}, // and ports below the ephemeral range
	"bench/filters": {"internal/jsonx", "internal/koncorde"},
	"bench/docstore": {
		"bench/internal/docs", "bench/internal/hist", "bench/internal/proc", "internal/jsonx",
		"internal/store", "internal/store/mapping", "internal/store/query", "internal/store/sqlite",
	},
	"bench/internal/docs":  nil,
	"bench/internal/hist":  nil,
	"bench/internal/mqttc": nil,
	"bench/internal/pg":    nil,
	"bench/internal/proc":  nil,
	"bench/internal/svg":   nil,
	"guests/go/starling":   nil,
	"examples/geofence/go": {"guests/go/starling"},
	"examples/plugin/go":   {"guests/go/starling"},
}

// Packages outside the module that the layering rules name.
const (
	protoactor = "github.com/asynkron/protoactor-go/..."
	mochi      = "github.com/mochi-mqtt/..."
	prometheus = "github.com/prometheus/..."
)

// neverDepends lists dependencies, direct or through other packages, that no
// row of importRules may open: the layering cmd → actors → internal/*,
// actors → wasmhost, never back. A path whose first element has a dot is
// outside the module.
var neverDepends = []struct {
	from, to []string
	why      string
}{
	{
		from: []string{"internal/api", "internal/koncorde"},
		to:   []string{"actors/...", protoactor, "internal/mqtt", mochi, "wasmhost"},
		why:  "a pure library: no actor, no MQTT, no sandbox",
	},
	{
		from: []string{"internal/..."},
		to:   []string{"actors/...", "wasmhost"},
		why:  "dependencies run actors → internal/*, never back",
	},
	{
		from: []string{"actors/channel", "actors/connection", "actors/dispatcher", "actors/realtime/...", "internal/mqtt", "wasmhost"},
		to:   []string{"internal/metrics"},
		why:  "the metrics library is fed through small interfaces the composition root injects (protoactor itself pulls client_golang in, so only our package is named)",
	},
	{
		from: []string{"wasmhost"},
		to:   []string{"actors/...", "internal/mqtt", mochi, prometheus},
		why:  "dependencies run actors → wasmhost, never back, and the sandbox host has no MQTT code and no metrics library (it reports through its Observer)",
	},
}

// importedOnlyBy names packages of the module that only the packages listed
// may import (tests aside), nil for none.
var importedOnlyBy = map[string][]string{
	"actors/node":      {"cmd/starling"}, // the composition root
	"internal/metrics": {"actors/node"},  // fed through interfaces elsewhere
	"cmd/...":          nil,              // programs
}

// platforms are the targets the module's files are listed for: the host,
// and wasip1 for the guest SDK and the examples built on it.
var platforms = [][]string{nil, {"GOOS=wasip1", "GOARCH=wasm"}}

// TestImportRules checks every package's imports against the tables above.
func TestImportRules(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the import rules are read with the go command: %v", err)
	}
	root := moduleRoot(t, goCmd)

	// graphs: per platform, every package built and its imports. direct: per
	// package of the module, its imports of the module on any platform.
	var graphs []map[string][]string
	direct := map[string][]string{}
	for _, env := range platforms {
		g := listImports(t, goCmd, root, env)
		graphs = append(graphs, g)
		for pkg, imports := range g {
			if !inModule(pkg) {
				continue
			}
			mine := direct[rel(pkg)]
			for _, imp := range imports {
				if inModule(imp) && !slices.Contains(mine, rel(imp)) {
					mine = append(mine, rel(imp))
				}
			}
			slices.Sort(mine)
			direct[rel(pkg)] = mine
		}
	}
	pkgs := sortedKeys(direct)

	checkTables(t, pkgs)
	for _, pkg := range pkgs {
		for _, imp := range direct[pkg] {
			for _, target := range sortedKeys(importedOnlyBy) {
				importers := importedOnlyBy[target]
				if matches(target, abs(imp)) && !slices.Contains(importers, pkg) {
					t.Errorf("%s imports %s, which only %v may import", pkg, imp, importers)
				}
			}
		}
		allowed, ok := importRules[pkg]
		if !ok {
			t.Errorf("%s has no import rule: add its row to importRules in actors/imports_test.go "+
				"and state the same rule in its doc comment (doc.go), as in %q",
				pkg, ruleSentence(pkg, direct[pkg]))
			continue
		}
		for _, imp := range direct[pkg] {
			if !matchesAny(allowed, abs(imp)) {
				t.Errorf("%s imports %s, which its rule does not allow: remove the import, or add %s "+
					"to its row in actors/imports_test.go and to the rule in its doc comment",
					pkg, imp, imp)
			}
		}
	}

	for _, rule := range neverDepends {
		for _, pkg := range pkgs {
			if !matchesAny(rule.from, abs(pkg)) {
				continue
			}
			for _, g := range graphs {
				if chain := findDependency(g, abs(pkg), rule.to); chain != nil {
					t.Errorf("%s depends on %s (%s): %s",
						pkg, chain[len(chain)-1], strings.Join(chain, " → "), rule.why)
					break
				}
			}
		}
	}
}

// checkTables reports rows and patterns that name no package of the module,
// so that a renamed or removed package does not leave a rule behind.
func checkTables(t *testing.T, pkgs []string) {
	t.Helper()
	exists := func(pattern string) bool {
		return slices.ContainsFunc(pkgs, func(p string) bool { return matches(pattern, abs(p)) })
	}
	for _, pkg := range sortedKeys(importRules) {
		if !slices.Contains(pkgs, pkg) {
			t.Errorf("importRules has a row for %s, which is no package of the module: remove the row", pkg)
		}
		for _, allowed := range importRules[pkg] {
			if !exists(allowed) {
				t.Errorf("the row of %s allows %s, which is no package of the module", pkg, allowed)
			}
		}
	}
	for _, rule := range neverDepends {
		for _, from := range rule.from {
			if !exists(from) {
				t.Errorf("neverDepends names %s, which is no package of the module", from)
			}
		}
	}
	for _, target := range sortedKeys(importedOnlyBy) {
		if !exists(target) {
			t.Errorf("importedOnlyBy names %s, which is no package of the module", target)
		}
	}
}

// moduleRoot returns the directory of the module's go.mod.
func moduleRoot(t *testing.T, goCmd string) string {
	t.Helper()
	out, err := exec.Command(goCmd, "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		t.Fatalf("go env GOMOD: not in a module")
	}
	return filepath.Dir(gomod)
}

// listImports returns every package that the module's packages build from
// on the platform env sets, with its direct imports from non-test files.
func listImports(t *testing.T, goCmd, root string, env []string) map[string][]string {
	t.Helper()
	cmd := exec.Command(goCmd, "list", "-e", "-deps", "-json=ImportPath,Imports", "./...")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s go list -deps ./...: %v\n%s", strings.Join(env, " "), err, stderr.Bytes())
	}
	graph := map[string][]string{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("%s go list -deps ./...: %v", strings.Join(env, " "), err)
		}
		graph[p.ImportPath] = p.Imports
	}
	if len(graph) == 0 {
		t.Fatalf("%s go list -deps ./... listed no package", strings.Join(env, " "))
	}
	return graph
}

// findDependency returns the shortest import chain from pkg to a package
// matching one of targets, or nil.
func findDependency(graph map[string][]string, pkg string, targets []string) []string {
	from := map[string]string{pkg: ""}
	queue := []string{pkg}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, imp := range graph[p] {
			if _, seen := from[imp]; seen {
				continue
			}
			from[imp] = p
			if matchesAny(targets, imp) {
				var chain []string
				for q := imp; q != ""; q = from[q] {
					chain = append(chain, rel(q))
				}
				slices.Reverse(chain)
				return chain
			}
			queue = append(queue, imp)
		}
	}
	return nil
}

// matches reports whether pattern, relative to the module or outside it,
// names the package of import path importPath.
func matches(pattern, importPath string) bool {
	pattern = abs(pattern)
	if dir, ok := strings.CutSuffix(pattern, "/..."); ok {
		return importPath == dir || strings.HasPrefix(importPath, dir+"/")
	}
	return importPath == pattern
}

func matchesAny(patterns []string, importPath string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { return matches(p, importPath) })
}

// abs returns the import path of a package or pattern named relative to the
// module; one outside it (a dot in its first element) is left as it is.
func abs(p string) string {
	first, _, _ := strings.Cut(p, "/")
	if strings.Contains(first, ".") {
		return p
	}
	return module + "/" + p
}

// rel returns the path of a package of the module under the module; other
// paths are left as they are.
func rel(p string) string {
	if r, ok := strings.CutPrefix(p, module+"/"); ok {
		return r
	}
	return p
}

func inModule(p string) bool { return p == module || strings.HasPrefix(p, module+"/") }

// ruleSentence writes the rule a package's doc comment would state for the
// imports of the module it has today.
func ruleSentence(pkg string, imports []string) string {
	name := pkg[strings.LastIndex(pkg, "/")+1:]
	switch n := len(imports); n {
	case 0:
		return name + " imports nothing of Starling's."
	case 1:
		return name + " imports " + imports[0] + " only."
	default:
		return name + " imports " + strings.Join(imports[:n-1], ", ") + " and " + imports[n-1] + " only."
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
