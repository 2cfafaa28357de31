package koncorde

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// Distances are strings such as "12km", "3 258,55 Ft" or "1.5 miles",
// converted to metres the way koncorde's node-units dependency does:
// white space and dashes are dropped, commas become decimal points, the
// text is lower-cased and the unit is looked up with plural forms and
// metric prefixes. node-units also knows time units, and converts them to
// "m" read as minutes: koncorde accepts "5s" as 5/60 metres, and so do we.

var (
	digitLetter     = regexp.MustCompile(`([0-9])([a-z])`)
	conversionShape = regexp.MustCompile(`^(.*?)\s([a-zA-Z]+)\sto\s([a-zA-Z]+)$`)
)

// unitDef is one unit of node-units' database: value times base unit.
type unitDef struct {
	value float64
	base  string
}

// distanceUnits and timeUnits are the two node-units groups that hold a
// unit named "m", the only target koncorde converts to.
var (
	distanceUnits = map[string]unitDef{
		"meter": {1, "m"}, "m": {1, "m"}, "feet": {0.3048, "m"}, "ft": {0.3048, "m"},
		"inch": {0.0254, "m"}, "in": {0.0254, "m"}, "yard": {0.9144, "m"}, "yd": {0.9144, "m"},
		"mile": {1609.34, "m"}, "mi": {1609.34, "m"},
	}
	timeUnits = map[string]unitDef{
		"second": {1, "s"}, "sec": {1, "s"}, "s": {1, "s"},
		"minute": {60, "s"}, "min": {60, "s"}, "m": {60, "s"},
		"hour": {3600, "s"}, "hr": {3600, "s"}, "h": {3600, "s"},
		"day": {86400, "s"}, "week": {7, "day"},
	}
)

type prefix struct {
	text     string
	modifier float64
}

var shortPrefixes = []prefix{
	{"da", 10}, {"mu", 1e-6}, {"m", 1e-3}, {"h", 100}, {"k", 1000},
	{"n", 1e-9}, {"p", 1e-12}, {"c", 1e-2}, {"d", 1e-1}, {"f", 1e-15},
	{"a", 1e-18}, {"z", 1e-21}, {"y", 1e-24},
}

var longPrefixes = []prefix{
	{"milli", 1e-3}, {"micro", 1e-6}, {"nano", 1e-9}, {"pico", 1e-12},
	{"centi", 1e-2}, {"deci", 1e-1}, {"femto", 1e-15}, {"atto", 1e-18},
	{"zepto", 1e-21}, {"yocto", 1e-24}, {"deka", 10}, {"hecto", 100},
	{"kilo", 1000}, {"mega", 1e6}, {"giga", 1e9}, {"tera", 1e12},
	{"peta", 1e15}, {"exa", 1e18}, {"zeta", 1e21}, {"yotta", 1e24},
}

// convertDistance returns the distance in metres, or koncorde's error.
func convertDistance(distance string) (float64, error) {
	m, ok := toMetres(distance)
	if !ok {
		return 0, fmt.Errorf("unable to parse distance value %q", distance)
	}
	return m, nil
}

func toMetres(distance string) (float64, bool) {
	cleaned := strings.Map(func(r rune) rune {
		if r == '-' || isJSSpace(r) {
			return -1
		}
		if r == ',' {
			return '.'
		}
		return unicode.ToLower(r)
	}, distance)
	if loc := digitLetter.FindStringIndex(cleaned); loc != nil {
		cleaned = cleaned[:loc[0]+1] + " " + cleaned[loc[0]+1:]
	}
	parts := conversionShape.FindStringSubmatch(cleaned + " to m")
	if parts == nil {
		return 0, false
	}
	value := parseFloat(parts[1])
	unit, group, modifier, ok := resolveUnit(parts[2])
	if !ok {
		return 0, false
	}
	value *= modifier
	if group == "distance" {
		return value * distanceUnits[unit].value, true
	}
	// Time units convert to minutes, the time unit called "m".
	seconds := timeUnits[unit].value
	if timeUnits[unit].base == "day" {
		seconds *= timeUnits["day"].value
	}
	return value * seconds / 60, true
}

// resolveUnit finds the unit the way node-units does: the last candidate of
// the distance group wins over the time group.
func resolveUnit(unit string) (name, group string, modifier float64, ok bool) {
	variations := []string{unit}
	if len(unit) != 2 {
		for _, suffix := range []string{"s", "es", "ies"} {
			if strings.HasSuffix(unit, suffix) {
				variations = append(variations, strings.TrimSuffix(unit, suffix))
			}
		}
	}
	for _, g := range []struct {
		name  string
		units map[string]unitDef
	}{{"time", timeUnits}, {"distance", distanceUnits}} {
		for _, v := range variations {
			if _, found := g.units[v]; found {
				name, group, modifier, ok = v, g.name, 1, true
				continue
			}
			base, mod := stripPrefix(v)
			if _, found := g.units[base]; found {
				name, group, modifier, ok = base, g.name, mod, true
			}
		}
	}
	return name, group, modifier, ok
}

func stripPrefix(unit string) (string, float64) {
	prefixes := shortPrefixes
	if len(unit) > 3 {
		prefixes = longPrefixes
	}
	for _, p := range prefixes {
		if strings.HasPrefix(unit, p.text) {
			return unit[len(p.text):], p.modifier
		}
	}
	return unit, 1
}
