package validation

import (
	"regexp"
	"strconv"
	"strings"
)

// The checks below are those of validator.js 13.15 (isEmail, isURL, isIP,
// isFQDN) with the default options Kuzzle calls them with. Lengths are
// JavaScript's (UTF-16 code units) unless validator.js counts bytes.

// jsSpace is JavaScript's \s.
const jsSpace = `\t\n\v\f\r \x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}\x{feff}`

var (
	emailUserUTF8   = regexp.MustCompile("(?i)^[a-z\\d!#\\$%&'\\*\\+\\-\\/=\\?\\^_`{\\|}~\\x{A1}-\\x{D7FF}\\x{F900}-\\x{FDCF}\\x{FDF0}-\\x{FFEF}]+$")
	quotedUserUTF8  = regexp.MustCompile(`(?i)^([` + jsSpace + `\x01-\x08\x0b\x0c\x0e-\x1f\x7f\x21\x23-\x5b\x5d-\x7e\x{A0}-\x{D7FF}\x{F900}-\x{FDCF}\x{FDF0}-\x{FFEF}]|(\\[\x01-\x09\x0b\x0c\x0d-\x7f\x{A0}-\x{D7FF}\x{F900}-\x{FDCF}\x{FDF0}-\x{FFEF}]))*$`)
	fqdnTLD         = regexp.MustCompile(`(?i)^([a-z\x{A1}-\x{A8}\x{AA}-\x{D7FF}\x{F900}-\x{FDCF}\x{FDF0}-\x{FFEF}]{2,}|xn[a-z0-9-]{2,})$`)
	anySpace        = regexp.MustCompile(`[` + jsSpace + `]`)
	allDigits       = regexp.MustCompile(`^\d+$`)
	fqdnPart        = regexp.MustCompile(`(?i)^[a-z_\x{a1}-\x{10ffff}0-9-]+$`)
	fullWidth       = regexp.MustCompile(`[\x{ff01}-\x{ff5e}]`)
	ipv4            = regexp.MustCompile(`^(` + ipv4Seg + `[.]){3}` + ipv4Seg + `$`)
	ipv6            = regexp.MustCompile(ipv6Pattern())
	urlForbidden    = regexp.MustCompile(`[` + jsSpace + `<>]`)
	urlProtocol     = regexp.MustCompile(`(?i)^([a-z][a-z0-9+\-.]*):`)
	urlAuth         = regexp.MustCompile(`^[a-zA-Z0-9\-_.%:]*$`)
	urlWrappedIPv6  = regexp.MustCompile(`^\[([^\]]+)\](?::([0-9]+))?$`)
	urlStartsDigit  = regexp.MustCompile(`^[0-9]`)
	urlAllowedProto = []string{"http", "https", "ftp"}
)

const (
	ipv4Seg  = `(?:[0-9]|[1-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-5])`
	ipv4Addr = `(` + ipv4Seg + `[.]){3}` + ipv4Seg
	ipv6Seg  = `(?:[0-9a-fA-F]{1,4})`
)

func ipv6Pattern() string {
	s, a := ipv6Seg, ipv4Addr
	return `^(` +
		`(?:` + s + `:){7}(?:` + s + `|:)|` +
		`(?:` + s + `:){6}(?:` + a + `|:` + s + `|:)|` +
		`(?:` + s + `:){5}(?::` + a + `|(:` + s + `){1,2}|:)|` +
		`(?:` + s + `:){4}(?:(:` + s + `){0,1}:` + a + `|(:` + s + `){1,3}|:)|` +
		`(?:` + s + `:){3}(?:(:` + s + `){0,2}:` + a + `|(:` + s + `){1,4}|:)|` +
		`(?:` + s + `:){2}(?:(:` + s + `){0,3}:` + a + `|(:` + s + `){1,5}|:)|` +
		`(?:` + s + `:){1}(?:(:` + s + `){0,4}:` + a + `|(:` + s + `){1,6}|:)|` +
		`(?::((?::` + s + `){0,5}:` + a + `|(?::` + s + `){1,7}|:))` +
		`)(%[0-9a-zA-Z.]{1,})?$`
}

// isIP accepts IPv4 and IPv6 addresses.
func isIP(s string) bool { return ipv4.MatchString(s) || ipv6.MatchString(s) }

// isFQDN requires a TLD and refuses underscores, trailing dots and
// numeric TLDs.
func isFQDN(s string) bool {
	parts := strings.Split(s, ".")
	tld := parts[len(parts)-1]
	if len(parts) < 2 || !fqdnTLD.MatchString(tld) || anySpace.MatchString(tld) || allDigits.MatchString(tld) {
		return false
	}
	for _, p := range parts {
		if utf16Len(p) > 63 || !fqdnPart.MatchString(p) || fullWidth.MatchString(p) ||
			strings.HasPrefix(p, "-") || strings.HasSuffix(p, "-") || strings.Contains(p, "_") {
			return false
		}
	}
	return true
}

// isEmail accepts user@domain without display name, UTF-8 local parts
// allowed, a fully qualified domain required.
func isEmail(s string) bool {
	if utf16Len(s) > 254 {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	user, domain := "", s
	if at >= 0 {
		user, domain = s[:at], s[at+1:]
	}
	if len(user) > 64 || len(domain) > 254 || !isFQDN(domain) {
		return false
	}
	if user != "" && user[0] == '"' && user[len(user)-1] == '"' {
		if len(user) == 1 {
			return true // validator.js slices '"' to ""
		}
		return quotedUserUTF8.MatchString(user[1 : len(user)-1])
	}
	for _, part := range strings.Split(user, ".") {
		if !emailUserUTF8.MatchString(part) {
			return false
		}
	}
	return true
}

// isURL accepts http, https and ftp URLs (the protocol is optional) with
// a host that is an IP address or a fully qualified domain name.
func isURL(url string) bool {
	if url == "" || urlForbidden.MatchString(url) || strings.HasPrefix(url, "mailto:") || utf16Len(url) > 2084 {
		return false
	}
	url, _, _ = strings.Cut(url, "#")
	url, _, _ = strings.Cut(url, "?")
	url, explicit, ok := stripProtocol(url)
	if !ok {
		return false
	}
	if strings.HasPrefix(url, "//") {
		if !explicit {
			return false
		}
		url = url[2:]
	}
	if url == "" {
		return false
	}
	hostname, _, _ := strings.Cut(url, "/")
	if at := strings.Split(hostname, "@"); len(at) > 1 {
		if at[0] == "" {
			return false
		}
		auth := strings.Split(at[0], ":")
		if len(auth) > 2 || len(auth) == 2 && auth[0] == "" && auth[1] == "" {
			return false
		}
		hostname = strings.Join(at[1:], "@")
	}
	return validURLHost(hostname)
}

// stripProtocol removes a URL's protocol when validator.js sees one; ok is
// false for a protocol other than http, https and ftp.
func stripProtocol(url string) (rest string, explicit, ok bool) {
	m := urlProtocol.FindStringSubmatch(url)
	if m == nil {
		return url, false, true
	}
	after := url[len(m[0]):]
	if !strings.HasPrefix(after, "//") {
		beforeSlash, _, _ := strings.Cut(after, "/")
		if at := strings.IndexByte(beforeSlash, '@'); at >= 0 {
			if urlAuth.MatchString(beforeSlash[:at]) {
				return url, false, true
			}
		} else if urlStartsDigit.MatchString(after) {
			return url, false, true // host:port
		}
	}
	if !contains(urlAllowedProto, strings.ToLower(m[1])) {
		return "", true, false
	}
	return after, true, true
}

func validURLHost(hostname string) bool {
	var host, port, v6 string
	hasPort := false
	if m := urlWrappedIPv6.FindStringSubmatch(hostname); m != nil {
		v6, port, hasPort = m[1], m[2], m[2] != ""
	} else {
		host, port, hasPort = strings.Cut(hostname, ":")
	}
	if hasPort && port != "" {
		n, err := strconv.Atoi(port)
		if !allDigits.MatchString(port) || err != nil || n <= 0 || n > 65535 {
			return false
		}
	}
	return isIP(host) || isFQDN(host) || (v6 != "" && ipv6.MatchString(v6))
}
