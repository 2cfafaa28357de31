package node

import (
	"fmt"

	"github.com/starlingmq/starling/internal/config"
	model "github.com/starlingmq/starling/internal/security"
	"github.com/starlingmq/starling/internal/security/password"
)

// standardSecurity is security.standard: Kuzzle's, with the roles and
// profiles the configuration names in their place.
func standardSecurity(s config.Standard) (model.Config, error) {
	cfg := model.DefaultConfig()
	for id, raw := range s.Roles {
		role, err := model.ParseRole(id, raw)
		if err != nil {
			return cfg, fmt.Errorf("security.standard.roles.%s: %w", id, err)
		}
		cfg.StandardRoles[id] = role
	}
	for id, raw := range s.Profiles {
		profile, err := model.ParseProfile(id, raw)
		if err != nil {
			return cfg, fmt.Errorf("security.standard.profiles.%s: %w", id, err)
		}
		cfg.StandardProfiles[id] = profile
	}
	return cfg, nil
}

// passwordPolicies are the local strategy's passwordPolicies.
func passwordPolicies(list []config.PasswordPolicy) []password.Policy {
	out := make([]password.Policy, 0, len(list))
	for _, p := range list {
		out = append(out, password.Policy{
			AppliesTo: password.AppliesTo{
				All: p.AppliesToAll, Users: p.AppliesToUsers, Profiles: p.AppliesToProfiles, Roles: p.AppliesToRoles,
			},
			ExpiresAfter:                   p.ExpiresAfter,
			ForbidLoginInPassword:          p.ForbidLoginInPassword,
			ForbidReusedPasswordCount:      p.ForbidReusedPasswordCount,
			MustChangePasswordIfSetByAdmin: p.MustChangePasswordIfSetByAdmin,
			PasswordRegex:                  p.PasswordRegex,
		})
	}
	return out
}
