/* starling.c — the ABI exports and helpers of the C SDK (see starling.h). */
#include "starling.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMPORT(name) __attribute__((import_module("starling"), import_name(name)))
#define EXPORT(name) __attribute__((export_name(name)))

IMPORT("log") void starling_host_log(int32_t level, const char *ptr, int32_t len);
IMPORT("now") int64_t starling_host_now(void);
IMPORT("call") int32_t starling_host_call(const char *ptr, int32_t len);
IMPORT("call_result") void starling_host_call_result(char *ptr);
IMPORT("config") int32_t starling_host_config(void);
IMPORT("state_get") int32_t starling_host_state_get(const char *k, int32_t klen);
IMPORT("state_set") int32_t starling_host_state_set(const char *k, int32_t klen, const char *v, int32_t vlen);
IMPORT("state_delete") int32_t starling_host_state_delete(const char *k, int32_t klen);
IMPORT("state_incr") int32_t starling_host_state_incr(const char *k, int32_t klen, int64_t delta, int64_t *out);
IMPORT("http_request") int32_t starling_host_http_request(const char *ptr, int32_t len);

extern const char starling_manifest_json[];

/* The input of the call in progress and the output of the last one. */
static char *input;
static starling_buf output;

#define ERROR_FLAG 0x80000000u

static int64_t pack(const char *ptr, size_t len, int is_error)
{
	uint64_t n = (uint32_t)len | (is_error ? ERROR_FLAG : 0);
	return (int64_t)((uint64_t)(uintptr_t)ptr << 32 | n);
}

/* The ABI version this SDK reports: 3, whatever the guest uses (the host
 * functions of ABI 3 may be called from any entry point, so the SDK cannot
 * tell at load time). It satisfies versions 1 and 2 alike when the guest
 * uses nothing of ABI 3; tests build it with -DSTARLING_ABI_VERSION=1 to
 * check that hosts still serve version 1. */
#ifndef STARLING_ABI_VERSION
#define STARLING_ABI_VERSION 3
#endif

EXPORT("starling_abi_version") int32_t starling_abi_version(void) { return STARLING_ABI_VERSION; }

EXPORT("starling_alloc") int32_t starling_alloc(int32_t len)
{
	free(input);
	input = malloc(len > 0 ? (size_t)len : 1);
	if (!input)
		__builtin_trap();
	return (int32_t)(uintptr_t)input;
}

EXPORT("starling_manifest") int64_t starling_manifest(void)
{
	return pack(starling_manifest_json, strlen(starling_manifest_json), 0);
}

EXPORT("starling_handle") int64_t starling_handle(const char *ptr, int32_t len)
{
	output.len = 0;
	int failed = starling_on_request(ptr, (size_t)len, &output);
	return pack(output.data, output.len, failed);
}

EXPORT("starling_filter") int32_t starling_filter(const char *ptr, int32_t len)
{
	return starling_on_filter(ptr, (size_t)len);
}

/* The ABI 3 entry points: same shape as starling_handle. -DSTARLING_NO_PIPE
 * leaves starling_pipe out, as a guest built without this SDK may. */
#define ENTRY(export, fn)                                                   \
	EXPORT(export) int64_t fn##_export(const char *ptr, int32_t len)  \
	{                                                                   \
		output.len = 0;                                             \
		int failed = fn(ptr, (size_t)len, &output);                 \
		return pack(output.data, output.len, failed);               \
	}
#ifndef STARLING_NO_PIPE
ENTRY("starling_pipe", starling_on_pipe)
#endif
ENTRY("starling_hook", starling_on_hook)
ENTRY("starling_init", starling_on_init)
ENTRY("starling_tick", starling_on_tick)

__attribute__((weak)) int starling_on_pipe(const char *input, size_t len, starling_buf *out)
{
	(void)input, (void)len;
	starling_buf_puts(out, "{\"message\":\"this module has no pipe\"}");
	return 1;
}

__attribute__((weak)) int starling_on_hook(const char *input, size_t len, starling_buf *out)
{
	(void)input, (void)len;
	starling_buf_puts(out, "{\"message\":\"this module has no hook\"}");
	return 1;
}

__attribute__((weak)) int starling_on_init(const char *input, size_t len, starling_buf *out)
{
	(void)input, (void)len, (void)out;
	return 0;
}

__attribute__((weak)) int starling_on_tick(const char *input, size_t len, starling_buf *out)
{
	(void)input, (void)len, (void)out;
	return 0;
}

/* Defaults for guests that implement only one of the two. */
__attribute__((weak)) int starling_on_request(const char *request, size_t len, starling_buf *out)
{
	(void)request, (void)len;
	starling_buf_puts(out, "{\"message\":\"this module has no controller\"}");
	return 1;
}

__attribute__((weak)) int starling_on_filter(const char *input, size_t len)
{
	(void)input, (void)len;
	return -1;
}

void starling_buf_append(starling_buf *b, const char *s, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n)
			cap *= 2;
		char *data = realloc(b->data, cap);
		if (!data)
			__builtin_trap();
		b->data = data;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
}

void starling_buf_puts(starling_buf *b, const char *s) { starling_buf_append(b, s, strlen(s)); }

void starling_buf_printf(starling_buf *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof small) {
		starling_buf_append(b, small, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (!big)
		__builtin_trap();
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	starling_buf_append(b, big, (size_t)n);
	free(big);
}

void starling_buf_json_string(starling_buf *b, const char *s, size_t n)
{
	starling_buf_append(b, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			char esc[2] = {'\\', (char)c};
			starling_buf_append(b, esc, 2);
		} else if (c < 0x20) {
			starling_buf_printf(b, "\\u%04x", c);
		} else {
			starling_buf_append(b, (const char *)&s[i], 1);
		}
	}
	starling_buf_append(b, "\"", 1);
}

void starling_log(int level, const char *msg) { starling_host_log(level, msg, (int32_t)strlen(msg)); }

int64_t starling_now(void) { return starling_host_now(); }

/* take_answer appends the host's last answer, n bytes long, to out. */
static void take_answer(int32_t n, starling_buf *out)
{
	if (n <= 0)
		return;
	starling_buf_append(out, "", 0);
	if (out->len + (size_t)n > out->cap) {
		/* make room, then let the host write into it */
		char *tmp = malloc((size_t)n + 1);
		if (!tmp)
			__builtin_trap();
		starling_host_call_result(tmp);
		starling_buf_append(out, tmp, (size_t)n);
		free(tmp);
	} else {
		starling_host_call_result(out->data + out->len);
		out->len += (size_t)n;
	}
}

int starling_call(const char *request, size_t len, starling_buf *response)
{
	int32_t n = starling_host_call(request, (int32_t)len);
	size_t start = response->len;
	take_answer(n, response);
	const char *status;
	size_t slen;
	double d = 500;
	if (starling_json_get(response->data + start, (size_t)n, "status", &status, &slen))
		starling_json_number(status, slen, &d);
	return (int)d;
}

size_t starling_config(starling_buf *out)
{
	size_t start = out->len;
	take_answer(starling_host_config(), out);
	return out->len - start;
}

int starling_state_get(const char *key, size_t klen, starling_buf *value)
{
	int32_t n = starling_host_state_get(key, (int32_t)klen);
	if (n < 0)
		return n;
	take_answer(n, value);
	return 0;
}

int starling_state_set(const char *key, size_t klen, const char *value, size_t vlen)
{
	return starling_host_state_set(key, (int32_t)klen, value, (int32_t)vlen);
}

int starling_state_delete(const char *key, size_t klen)
{
	return starling_host_state_delete(key, (int32_t)klen);
}

int starling_state_incr(const char *key, size_t klen, int64_t delta, int64_t *value)
{
	int64_t out = 0;
	int32_t status = starling_host_state_incr(key, (int32_t)klen, delta, &out);
	if (status == 0 && value)
		*value = out;
	return status;
}

int starling_http_request(const char *request, size_t len, starling_buf *response)
{
	int32_t n = starling_host_http_request(request, (int32_t)len);
	size_t start = response->len;
	take_answer(n, response);
	const char *status;
	size_t slen;
	double d = 0;
	if (starling_json_get(response->data + start, (size_t)n, "status", &status, &slen))
		starling_json_number(status, slen, &d);
	return (int)d;
}

/* JSON scanning: just enough to pick values out of objects. */

static size_t skip_space(const char *s, size_t i, size_t n)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

/* skip_value returns the index just past the value starting at i. */
static size_t skip_value(const char *s, size_t i, size_t n)
{
	if (i >= n)
		return n;
	if (s[i] == '"') {
		for (i++; i < n && s[i] != '"'; i++)
			if (s[i] == '\\')
				i++;
		return i < n ? i + 1 : n;
	}
	if (s[i] == '{' || s[i] == '[') {
		int depth = 0;
		for (; i < n; i++) {
			if (s[i] == '"') {
				i = skip_value(s, i, n) - 1;
			} else if (s[i] == '{' || s[i] == '[') {
				depth++;
			} else if ((s[i] == '}' || s[i] == ']') && --depth == 0) {
				return i + 1;
			}
		}
		return n;
	}
	while (i < n && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' && s[i] != '\n')
		i++;
	return i;
}

int starling_json_get(const char *s, size_t n, const char *key, const char **val, size_t *vlen)
{
	size_t klen = strlen(key);
	size_t i = skip_space(s, 0, n);
	if (i >= n || s[i] != '{')
		return 0;
	for (i++;;) {
		i = skip_space(s, i, n);
		if (i >= n || s[i] != '"')
			return 0;
		size_t kstart = i + 1, kend = skip_value(s, i, n) - 1;
		i = skip_space(s, kend + 1, n);
		if (i >= n || s[i] != ':')
			return 0;
		i = skip_space(s, i + 1, n);
		size_t vend = skip_value(s, i, n);
		if (kend - kstart == klen && memcmp(s + kstart, key, klen) == 0) {
			*val = s + i;
			*vlen = vend - i;
			return 1;
		}
		i = skip_space(s, vend, n);
		if (i >= n || s[i] != ',')
			return 0;
		i++;
	}
}

/* fast_number is Clinger's fast path: exact when the number has at most
 * 15 significant digits and a power of ten within 1e±22; it returns 0
 * otherwise. wasi-libc's strtod works in 128-bit soft float: slow. */
static int fast_number(const char *s, size_t n, double *out)
{
	static const double pow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
				       1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
	size_t i = 0;
	int neg = 0, digits = 0, exp = 0;
	uint64_t mant = 0;
	if (i < n && s[i] == '-')
		neg = 1, i++;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++)
		mant = mant * 10 + (uint64_t)(s[i] - '0');
	if (i < n && s[i] == '.')
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++, exp--)
			mant = mant * 10 + (uint64_t)(s[i] - '0');
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		int eneg = 0, e = 0;
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			eneg = s[i++] == '-';
		for (; i < n && s[i] >= '0' && s[i] <= '9' && e < 1000; i++)
			e = e * 10 + (s[i] - '0');
		exp += eneg ? -e : e;
	}
	if (i != n || digits == 0 || digits > 15 || exp < -22 || exp > 22)
		return 0;
	double d = (double)mant;
	d = exp < 0 ? d / pow10[-exp] : d * pow10[exp];
	*out = neg ? -d : d;
	return 1;
}

int starling_json_number(const char *val, size_t vlen, double *out)
{
	char tmp[64];
	if (fast_number(val, vlen, out))
		return 1;
	if (vlen == 0 || vlen >= sizeof tmp)
		return 0;
	memcpy(tmp, val, vlen);
	tmp[vlen] = 0;
	char *end;
	*out = strtod(tmp, &end);
	return end == tmp + vlen;
}

int starling_json_eq(const char *val, size_t vlen, const char *s)
{
	size_t n = strlen(s);
	return vlen == n + 2 && val[0] == '"' && memcmp(val + 1, s, n) == 0;
}
