package password

import (
	"errors"
	"testing"
	"time"
)

// policyID is the id of a PolicyError, "" for nil.
func policyID(err error) string {
	if err == nil {
		return ""
	}
	var pe *PolicyError
	if errors.As(err, &pe) {
		return pe.ID
	}
	return "not a PolicyError: " + err.Error()
}

const pfx = "plugin.kuzzle-plugin-auth-passport-local."

func TestCheckNewPassword(t *testing.T) {
	ps, err := NewPolicies([]Policy{
		{AppliesTo: AppliesTo{All: true}, ForbidLoginInPassword: true},
		{AppliesTo: AppliesTo{Profiles: []string{"staff"}}, PasswordRegex: `/^.{8,}$/g`},
		{AppliesTo: AppliesTo{Roles: []string{"editor"}}, PasswordRegex: `/[A-Z]/i`},
		{AppliesTo: AppliesTo{Users: []string{"carol"}}, PasswordRegex: `^\d+$`},
		{AppliesTo: AppliesTo{Users: []string{"dave"}}, PasswordRegex: `/a\/b/m`},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		subject  Subject
		login    string
		password string
		want     string
	}{
		{"fine", Subject{Kuid: "alice"}, "alice", "s3cret", ""},
		{"login inside", Subject{Kuid: "alice"}, "alice", "my-ALICE-pass", pfx + "login_in_password"},
		{"no login given", Subject{Kuid: "alice"}, "", "my-alice-pass", ""},
		{"empty password skips", Subject{Kuid: "alice"}, "alice", "", ""},
		{"no kuid: no policy", Subject{}, "alice", "alice", ""},
		{"profile regex short", Subject{Kuid: "bob", ProfileIDs: []string{"staff"}}, "bob", "short", pfx + "weak_password"},
		{"profile regex long", Subject{Kuid: "bob", ProfileIDs: []string{"staff"}}, "bob", "long enough", ""},
		{"role regex, flag i", Subject{Kuid: "eve", RoleIDs: []string{"editor"}}, "eve", "lowercase", ""},
		{"role regex fails", Subject{Kuid: "eve", RoleIDs: []string{"editor"}}, "eve", "1234", pfx + "weak_password"},
		{"plain pattern", Subject{Kuid: "carol"}, "carol", "12ab", pfx + "weak_password"},
		{"escaped slash", Subject{Kuid: "dave"}, "dave", "xa/by", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := policyID(ps.CheckNewPassword(tt.subject, tt.login, tt.password)); got != tt.want {
				t.Fatalf("CheckNewPassword() = %q, want %q", got, tt.want)
			}
		})
	}
	err = ps.CheckNewPassword(Subject{Kuid: "bob", ProfileIDs: []string{"staff"}}, "", "x")
	var pe *PolicyError
	if !errors.As(err, &pe) || pe.Message != "Password is too weak" || pe.Status != 400 {
		t.Fatalf("weak password error = %#v", err)
	}
}

func TestCheckLogin(t *testing.T) {
	ps, err := NewPolicies([]Policy{
		{AppliesTo: AppliesTo{Profiles: []string{"staff"}}, ExpiresAfter: 24 * time.Hour},
		{AppliesTo: AppliesTo{All: true}, MustChangePasswordIfSetByAdmin: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	changed := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	staff := Subject{Kuid: "bob", ProfileIDs: []string{"staff"}}
	tests := []struct {
		name    string
		subject Subject
		updater string
		now     time.Time
		want    string
	}{
		{"fresh, set by self", staff, "bob", changed.Add(time.Hour), ""},
		{"at the limit", staff, "bob", changed.Add(24 * time.Hour), ""},
		{"expired", staff, "bob", changed.Add(24*time.Hour + time.Millisecond), pfx + "expired_password"},
		{"expired wins over admin-set", staff, "admin", changed.Add(48 * time.Hour), pfx + "expired_password"},
		{"set by an admin", staff, "admin", changed, pfx + "must_change_password"},
		{"admins are exempt", Subject{Kuid: "root", Admin: true}, "other", changed, ""},
		{"no expiry outside staff", Subject{Kuid: "eve"}, "eve", changed.Add(1000 * time.Hour), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := policyID(ps.CheckLogin(tt.subject, changed, tt.updater, tt.now)); got != tt.want {
				t.Fatalf("CheckLogin() = %q, want %q", got, tt.want)
			}
		})
	}
	var pe *PolicyError
	if err := ps.CheckLogin(staff, changed, "admin", changed); !errors.As(err, &pe) ||
		pe.Message != "Password change required" || pe.Status != 401 {
		t.Fatalf("must change error = %#v", err)
	}
}

func TestRetention(t *testing.T) {
	ps, _ := NewPolicies([]Policy{
		{AppliesTo: AppliesTo{All: true}, ForbidReusedPasswordCount: 2},
		{AppliesTo: AppliesTo{Roles: []string{"admin"}}, ForbidReusedPasswordCount: 5},
	})
	if n := ps.Retention(Subject{Kuid: "a"}); n != 2 {
		t.Fatalf("Retention(user) = %d", n)
	}
	if n := ps.Retention(Subject{Kuid: "a", RoleIDs: []string{"admin"}}); n != 5 {
		t.Fatalf("Retention(admin) = %d", n)
	}
	if got := policyID(ReusedPassword()); got != pfx+"reused_password" {
		t.Fatalf("ReusedPassword() = %q", got)
	}
}

func TestNewPoliciesRejects(t *testing.T) {
	tests := map[string]Policy{
		"empty appliesTo":     {},
		"negative expiry":     {AppliesTo: AppliesTo{All: true}, ExpiresAfter: -time.Second},
		"invalid regex":       {AppliesTo: AppliesTo{All: true}, PasswordRegex: "(["},
		"lookahead (not RE2)": {AppliesTo: AppliesTo{All: true}, PasswordRegex: "/^(?=.*[A-Z]).{8,}$/g"},
	}
	for name, p := range tests {
		if _, err := NewPolicies([]Policy{p}); err == nil {
			t.Errorf("%s: NewPolicies() accepted %+v", name, p)
		}
	}
}
