package config

import (
	"strconv"
	"time"

	"github.com/starlingmq/starling/internal/jsonx"
)

// localPlugin is the configuration key of Kuzzle's local strategy plugin.
const localPlugin = "kuzzle-plugin-auth-passport-local"

// Standard is security.standard: the roles and profiles
// security:createFirstAdmin (with reset) writes, as raw definitions by id;
// nil for Kuzzle's.
type Standard struct {
	Roles    map[string]jsonx.RawMessage
	Profiles map[string]jsonx.RawMessage
}

// LocalStrategy holds plugins["kuzzle-plugin-auth-passport-local"].*.
type LocalStrategy struct {
	// PasswordPolicies are the plugin's passwordPolicies.
	PasswordPolicies []PasswordPolicy
	// Argon2 is the cost of new password hashes (argon2.*; the plugin's
	// own hashing keys do not apply).
	Argon2 Argon2
}

// Argon2 is the cost of one Argon2id password hash.
type Argon2 struct {
	// Memory is the memory a hash fills, in KiB (argon2.memory, 19456).
	Memory int
	// Iterations is the passes over it (argon2.iterations, 2).
	Iterations int
	// Parallelism is the lanes (argon2.parallelism, 1).
	Parallelism int
}

// PasswordPolicy is one entry of passwordPolicies.
type PasswordPolicy struct {
	// AppliesToAll is appliesTo "*"; else the lists say who.
	AppliesToAll                      bool
	AppliesToUsers, AppliesToProfiles []string
	AppliesToRoles                    []string
	ExpiresAfter                      time.Duration
	ForbidLoginInPassword             bool
	ForbidReusedPasswordCount         int
	MustChangePasswordIfSetByAdmin    bool
	PasswordRegex                     string
}

// standard reads security.standard, nil maps when absent.
func (r *reader) standard() Standard {
	var s Standard
	raw := r.value("security.standard")
	if raw == nil {
		return s
	}
	m, ok := raw.(map[string]any)
	if !ok {
		r.fail("security.standard", "an object", raw)
		return s
	}
	s.Roles = r.definitions("security.standard.roles", m["roles"])
	s.Profiles = r.definitions("security.standard.profiles", m["profiles"])
	return s
}

// definitions reads an object of definitions by id.
func (r *reader) definitions(path string, v any) map[string]jsonx.RawMessage {
	if v == nil {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		r.fail(path, "an object", v)
		return nil
	}
	out := make(map[string]jsonx.RawMessage, len(m))
	for id, def := range m {
		raw, err := jsonx.Marshal(def)
		if err != nil {
			r.fail(path+"."+id, "JSON", def)
			return nil
		}
		out[id] = raw
	}
	return out
}

// localStrategy reads the local strategy plugin's keys.
func (r *reader) localStrategy() LocalStrategy {
	base := "plugins." + localPlugin + "."
	l := LocalStrategy{Argon2: Argon2{
		Parallelism: r.integer(base+"argon2.parallelism", 1, 255),
		Iterations:  r.integer(base+"argon2.iterations", 1, 100),
	}}
	l.Argon2.Memory = r.integer(base+"argon2.memory", 8*max(l.Argon2.Parallelism, 1), 4<<20)
	list, _ := r.value(base + "passwordPolicies").([]any)
	for i, entry := range list {
		path := base + "passwordPolicies[" + strconv.Itoa(i) + "]"
		m, ok := entry.(map[string]any)
		if !ok {
			r.fail(path, "an object", entry)
			return l
		}
		l.PasswordPolicies = append(l.PasswordPolicies, r.passwordPolicy(path, m))
	}
	return l
}

// passwordPolicy reads one passwordPolicies entry.
func (r *reader) passwordPolicy(path string, m map[string]any) PasswordPolicy {
	p := PasswordPolicy{}
	switch to := m["appliesTo"].(type) {
	case string:
		p.AppliesToAll = to == "*"
		if !p.AppliesToAll {
			r.fail(path+".appliesTo", `"*" or {users, profiles, roles}`, to)
		}
	case map[string]any:
		p.AppliesToUsers = r.strings(path+".appliesTo.users", to["users"])
		p.AppliesToProfiles = r.strings(path+".appliesTo.profiles", to["profiles"])
		p.AppliesToRoles = r.strings(path+".appliesTo.roles", to["roles"])
	default:
		r.fail(path+".appliesTo", `"*" or {users, profiles, roles}`, to)
	}
	sub := &reader{tree: map[string]any{"p": m}}
	if m["expiresAfter"] != nil {
		p.ExpiresAfter = sub.duration("p.expiresAfter")
	}
	if m["forbidReusedPasswordCount"] != nil {
		p.ForbidReusedPasswordCount = sub.integer("p.forbidReusedPasswordCount", 0, 1000)
	}
	p.ForbidLoginInPassword, _ = m["forbidLoginInPassword"].(bool)
	p.MustChangePasswordIfSetByAdmin, _ = m["mustChangePasswordIfSetByAdmin"].(bool)
	p.PasswordRegex, _ = m["passwordRegex"].(string)
	if sub.err != nil && r.err == nil {
		r.err = sub.err
	}
	return p
}

// strings reads a list of strings, nil when absent.
func (r *reader) strings(path string, v any) []string {
	if v == nil {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		r.fail(path, "an array of strings", v)
		return nil
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			r.fail(path, "an array of strings", v)
			return nil
		}
		out = append(out, s)
	}
	return out
}
