package config

import (
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// composeFile is what the tests read of a docker compose file.
type composeFile struct {
	Services map[string]composeService `yaml:"services"`
}

// composeService is what the tests read of one service.
type composeService struct {
	Image       string            `yaml:"image"`
	Environment map[string]string `yaml:"environment"`
	Ports       []string          `yaml:"ports"`
	Healthcheck *struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
	DependsOn map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
}

// starlingImage is the image the example builds from the repository's
// Dockerfile: the services running it are Starling nodes.
const starlingImage = "starling:cluster-example"

// readCompose parses one compose file, YAML merge keys included.
func readCompose(t *testing.T, path string) composeFile {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f composeFile
	if err := yaml.Unmarshal(data, &f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return f
}

// TestClusterExampleComposeFiles checks the compose files of
// examples/cluster without a docker daemon: three Starling nodes whose
// kuzzle_ variables name configuration keys (Load accepts their values),
// each advertising its own service name, reaching etcd or the seeds by
// service name, with health checks and host ports of their own.
func TestClusterExampleComposeFiles(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "examples", "cluster", "docker-compose*.yml"))
	if err != nil || len(files) < 2 {
		t.Fatalf("examples/cluster: want the etcd and the seeds compose files, found %v (%v)", files, err)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			f := readCompose(t, path)
			checkServices(t, f)
			var nodes []string
			for name, s := range f.Services {
				if s.Image == starlingImage {
					nodes = append(nodes, name)
					checkNode(t, f, name, s)
				}
			}
			if len(nodes) != 3 {
				t.Errorf("%d Starling nodes (%v), want 3", len(nodes), nodes)
			}
		})
	}
}

// checkServices checks what concerns every service: dependencies on
// services of the file, host ports used once.
func checkServices(t *testing.T, f composeFile) {
	t.Helper()
	hostPorts := map[string]string{}
	for name, s := range f.Services {
		for dep := range s.DependsOn {
			if _, ok := f.Services[dep]; !ok {
				t.Errorf("%s depends on %s, no service of the file", name, dep)
			}
		}
		for _, p := range s.Ports {
			host, _, ok := strings.Cut(p, ":")
			if !ok {
				t.Errorf("%s publishes %q: want HOST:CONTAINER", name, p)
				continue
			}
			if other, taken := hostPorts[host]; taken {
				t.Errorf("host port %s is published by %s and %s", host, other, name)
			}
			hostPorts[host] = name
		}
	}
}

// interpolation matches compose's ${VAR} and ${VAR:-default}.
var interpolation = regexp.MustCompile(`\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-([^}]*))?\}`)

// checkNode checks one Starling node of f.
func checkNode(t *testing.T, f composeFile, name string, s composeService) {
	t.Helper()
	if s.Healthcheck == nil || !slices.Contains(s.Healthcheck.Test, "healthcheck") {
		t.Errorf("%s: no `starling healthcheck` health check", name)
	}
	for _, want := range []string{":1883", ":7512"} {
		if !slices.ContainsFunc(s.Ports, func(p string) bool { return strings.HasSuffix(p, want) }) {
			t.Errorf("%s does not publish container port %s", name, want[1:])
		}
	}
	var env []string
	values := map[string]any{}
	for k, v := range s.Environment {
		v = interpolation.ReplaceAllString(v, "$1") // the default, as compose with the variable unset
		env = append(env, k+"="+v)
		key := keyOf(k)
		if key == "" {
			t.Errorf("%s: %s is no kuzzle_ variable", name, k)
			continue
		}
		typed, err := typedString(v)
		if err != nil {
			t.Errorf("%s: %s: %v", name, k, err)
			continue
		}
		values[key] = typed
		if !hasDefault(key) {
			t.Errorf("%s: %s names no configuration key (%s)", name, k, key)
		}
	}
	if _, err := Load(Sources{Env: env}); err != nil {
		t.Errorf("%s: its environment does not load: %v", name, err)
	}
	checkClusterValues(t, f, name, values)
}

// keyOf returns the dotted configuration key of a kuzzle_ variable name,
// "" for another name.
func keyOf(variable string) string {
	path, ok := strings.CutPrefix(variable, envPrefix)
	if !ok || path == "" {
		return ""
	}
	return strings.ReplaceAll(path, "__", ".")
}

// hasDefault tells whether key is in defaults(), as a value or a subtree.
func hasDefault(key string) bool {
	node := defaults()
	parts := strings.Split(key, ".")
	for i, part := range parts {
		v, ok := node[part]
		if !ok {
			return false
		}
		if i == len(parts)-1 {
			return true
		}
		if node, ok = v.(map[string]any); !ok {
			return false
		}
	}
	return false
}

// checkClusterValues checks that node name is in cluster mode, advertises
// its own service name and reaches etcd or the seeds by service name, and
// its store by the name of a PostgreSQL 15 service.
func checkClusterValues(t *testing.T, f composeFile, name string, v map[string]any) {
	t.Helper()
	if v["cluster.enabled"] != true || v["cluster.advertisedHost"] != name || v["cluster.host"] != "0.0.0.0" {
		t.Errorf("%s: cluster.enabled %v, cluster.advertisedHost %v, cluster.host %v: want true, %s, 0.0.0.0",
			name, v["cluster.enabled"], v["cluster.advertisedHost"], v["cluster.host"], name)
	}
	var addrs []any
	switch v["cluster.provider"] {
	case "etcd":
		addrs, _ = v["cluster.etcd.endpoints"].([]any)
	case "seeds":
		addrs, _ = v["cluster.seeds"].([]any)
		for _, a := range addrs {
			if _, port, _ := net.SplitHostPort(a.(string)); mustFloat(port) != v["cluster.membershipPort"] {
				t.Errorf("%s: seed %s is not on cluster.membershipPort %v", name, a, v["cluster.membershipPort"])
			}
		}
	default:
		t.Errorf("%s: cluster.provider %v", name, v["cluster.provider"])
	}
	if len(addrs) == 0 {
		t.Errorf("%s: no etcd endpoint or seed", name)
	}
	for _, a := range addrs {
		if host, _, _ := net.SplitHostPort(a.(string)); f.Services[host].Image == "" {
			t.Errorf("%s: %s names no service of the file", name, a)
		}
	}
	url, _ := v["storage.postgres.url"].(string)
	if v["storage.engine"] != "postgres" || !strings.Contains(url, "@postgres:") || f.Services["postgres"].Image != "postgres:15" {
		t.Errorf("%s: storage %v at %s: want the postgres:15 service", name, v["storage.engine"], url)
	}
}

// mustFloat returns s as a float64, nil when it is no number.
func mustFloat(s string) any {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil
	}
	return f
}
