package password

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// PluginName is the local strategy plugin's name, the middle part of its
// error ids.
const PluginName = "kuzzle-plugin-auth-passport-local"

// PolicyError is one of the local strategy plugin's errors (its
// manifest.json). Kuzzle numbers plugin errors when it loads the plugin, so
// the catalogue of internal/kerror has none of them: the caller maps this
// type onto its wire error.
type PolicyError struct {
	// ID is "plugin.kuzzle-plugin-auth-passport-local.<name>".
	ID string
	// Message is the plugin's message.
	Message string
	// Status is the HTTP-like status of the error's class.
	Status int
}

// Error implements error.
func (e *PolicyError) Error() string { return e.ID + ": " + e.Message }

// The plugin's errors that the policies raise.
var (
	errExpired    = PolicyError{"plugin." + PluginName + ".expired_password", "Expired password", 401}
	errInLogin    = PolicyError{"plugin." + PluginName + ".login_in_password", "Password cannot contain Username", 400}
	errMustChange = PolicyError{"plugin." + PluginName + ".must_change_password", "Password change required", 401}
	errReused     = PolicyError{"plugin." + PluginName + ".reused_password", "Cannot reuse password", 400}
	errWeak       = PolicyError{"plugin." + PluginName + ".weak_password", "Password is too weak", 400}
)

// ExpiredPassword is the error of a login with an expired password.
func ExpiredPassword() *PolicyError { e := errExpired; return &e }

// LoginInPassword is the error of a password containing the login.
func LoginInPassword() *PolicyError { e := errInLogin; return &e }

// MustChangePassword is the error of a login whose password an
// administrator set.
func MustChangePassword() *PolicyError { e := errMustChange; return &e }

// ReusedPassword is the error of a password found in the user's history.
func ReusedPassword() *PolicyError { e := errReused; return &e }

// WeakPassword is the error of a password not matching passwordRegex.
func WeakPassword() *PolicyError { e := errWeak; return &e }

// AppliesTo says whom a policy governs: everyone (All, the plugin's "*"),
// or the listed users, profiles and roles.
type AppliesTo struct {
	All      bool
	Users    []string
	Profiles []string
	Roles    []string
}

// Policy is one entry of the plugin's passwordPolicies.
type Policy struct {
	AppliesTo AppliesTo
	// ExpiresAfter is how long a password lasts; zero for ever.
	ExpiresAfter time.Duration
	// ForbidLoginInPassword refuses a password containing the login,
	// case-insensitively.
	ForbidLoginInPassword bool
	// ForbidReusedPasswordCount is how many previous passwords may not be
	// used again.
	ForbidReusedPasswordCount int
	// MustChangePasswordIfSetByAdmin refuses logins whose password was last
	// set by someone else until the user changes it (admins are exempt).
	MustChangePasswordIfSetByAdmin bool
	// PasswordRegex must match new passwords: a pattern, or "/pattern/flags"
	// as in JavaScript. Only RE2 syntax compiles: no lookarounds and no
	// backreferences.
	PasswordRegex string
}

// Subject is the user a check is about.
type Subject struct {
	Kuid       string
	ProfileIDs []string
	RoleIDs    []string
	// Admin is set when a profile of the user has the "admin" role; admins
	// never have to change a password an administrator set.
	Admin bool
}

// Policies is a validated set of policies. It is immutable and safe for
// concurrent use.
type Policies struct {
	list  []Policy
	regex []*regexp.Regexp // parallel to list, nil where none
}

// NewPolicies validates the policies as the plugin's init does and compiles
// their regular expressions.
func NewPolicies(list []Policy) (*Policies, error) {
	ps := &Policies{list: slices.Clone(list), regex: make([]*regexp.Regexp, len(list))}
	for i, p := range list {
		a := p.AppliesTo
		if !a.All && len(a.Users) == 0 && len(a.Profiles) == 0 && len(a.Roles) == 0 {
			return nil, fmt.Errorf("password policy %d: Empty 'appliesTo' attribute found for passwordPolicies. At least one of 'users', 'profiles' or 'roles' lists must be set", i)
		}
		if p.ExpiresAfter < 0 {
			return nil, fmt.Errorf("password policy %d: The 'expiresAfter' attribute must be a valid positive time representation", i)
		}
		if p.PasswordRegex == "" {
			continue
		}
		re, err := compileJSRegex(p.PasswordRegex)
		if err != nil {
			return nil, fmt.Errorf("password policy %d: passwordRegex: %w", i, err)
		}
		ps.regex[i] = re
	}
	return ps, nil
}

// jsRegexRE splits "/pattern/flags" as the plugin does (flags required).
var jsRegexRE = regexp.MustCompile(`^/(.*?)/([gismuy]+)`)

// compileJSRegex compiles a passwordRegex; the flags i, m and s carry
// over, g, u and y change nothing for a single test.
func compileJSRegex(s string) (*regexp.Regexp, error) {
	m := jsRegexRE.FindStringSubmatch(s)
	if m == nil {
		return regexp.Compile(s)
	}
	flags := ""
	for _, f := range "ims" {
		if strings.ContainsRune(m[2], f) {
			flags += string(f)
		}
	}
	pattern := strings.ReplaceAll(m[1], `\/`, "/")
	if flags != "" {
		pattern = "(?" + flags + ")" + pattern
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("%q", s), err)
	}
	return re, nil
}

// applies reports whether policy i governs s.
func (ps *Policies) applies(i int, s Subject) bool {
	if s.Kuid == "" {
		return false
	}
	a := ps.list[i].AppliesTo
	if a.All || slices.Contains(a.Users, s.Kuid) {
		return true
	}
	for _, p := range s.ProfileIDs {
		if slices.Contains(a.Profiles, p) {
			return true
		}
	}
	for _, r := range s.RoleIDs {
		if slices.Contains(a.Roles, r) {
			return true
		}
	}
	return false
}

// CheckNewPassword runs the checks on a password being set: the login in
// the password (login is the credentials' username, or the stored one),
// then passwordRegex. The history check needs hashes: see Retention.
func (ps *Policies) CheckNewPassword(s Subject, login, password string) error {
	for i, p := range ps.list {
		if !ps.applies(i, s) || password == "" {
			continue
		}
		if p.ForbidLoginInPassword && login != "" &&
			strings.Contains(strings.ToLower(password), strings.ToLower(login)) {
			return LoginInPassword()
		}
		if ps.regex[i] != nil && !ps.regex[i].MatchString(password) {
			return WeakPassword()
		}
	}
	return nil
}

// Retention is how many of the user's latest passwords (the current one
// first) a new password must differ from; 0 for none. The caller verifies
// the new password against those hashes and answers ReusedPassword on a
// match.
func (ps *Policies) Retention(s Subject) int {
	n := 0
	for i, p := range ps.list {
		if ps.applies(i, s) {
			n = max(n, p.ForbidReusedPasswordCount)
		}
	}
	return n
}

// CheckLogin runs the checks of a successful password verification: an
// expired password (changedAt is when it was last set: _kuzzle_info's
// updatedAt, or createdAt) answers ExpiredPassword; a password last set by
// someone other than the user (updater) answers MustChangePassword.
func (ps *Policies) CheckLogin(s Subject, changedAt time.Time, updater string, now time.Time) error {
	for i, p := range ps.list {
		if ps.applies(i, s) && p.ExpiresAfter > 0 && now.After(changedAt.Add(p.ExpiresAfter)) {
			return ExpiredPassword()
		}
	}
	if s.Admin {
		return nil
	}
	for i, p := range ps.list {
		if ps.applies(i, s) && p.MustChangePasswordIfSetByAdmin && updater != s.Kuid {
			return MustChangePassword()
		}
	}
	return nil
}
