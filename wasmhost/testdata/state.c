/* state.c exercises the state host functions of ABI 3 (state_get,
 * state_set, state_delete, state_incr), traps on demand, and has a filter
 * that traps on demand, for the quarantine. Build with -DVERSION=n to tell
 * versions apart. */
#include <stdlib.h>
#include <string.h>

#include "starling.h"

#ifndef VERSION
#define VERSION 1
#endif

#define IMPORT(name) __attribute__((import_module("starling"), import_name(name)))

IMPORT("state_get") int32_t state_get(const char *k, int32_t klen);
IMPORT("state_set") int32_t state_set(const char *k, int32_t klen, const char *v, int32_t vlen);
IMPORT("state_delete") int32_t state_delete(const char *k, int32_t klen);
IMPORT("state_incr") int32_t state_incr(const char *k, int32_t klen, int64_t delta, int64_t *out);
IMPORT("call_result") void state_copy(char *ptr);

STARLING_MANIFEST("{\"controller\":\"state\",\"actions\":[\"set\",\"get\",\"delete\",\"incr\",\"fill\","
		  "\"binary\",\"trap\",\"version\",\"badptr\"],\"filters\":[\"trapif\"]}")

/* str returns the raw string at key of body, without its quotes (no
 * escapes), or the empty string. */
static const char *str(const char *body, size_t blen, const char *key, size_t *n)
{
	const char *v;
	size_t vlen;
	if (!starling_json_get(body, blen, key, &v, &vlen) || vlen < 2 || v[0] != '"') {
		*n = 0;
		return "";
	}
	*n = vlen - 2;
	return v + 1;
}

static long long num(const char *body, size_t blen, const char *key)
{
	const char *v;
	size_t vlen;
	double d = 0;
	if (starling_json_get(body, blen, key, &v, &vlen))
		starling_json_number(v, vlen, &d);
	return (long long)d;
}

/* get answers {"status": n, "value": <the stored JSON>}. */
static void get(const char *k, size_t klen, starling_buf *out)
{
	int32_t n = state_get(k, (int32_t)klen);
	if (n < 0) {
		starling_buf_printf(out, "{\"status\":%d}", (int)n);
		return;
	}
	char *v = malloc(n + 1);
	state_copy(v);
	starling_buf_printf(out, "{\"status\":%d,\"value\":", (int)n);
	starling_buf_append(out, v, n);
	starling_buf_puts(out, "}");
	free(v);
}

/* fill sets key to size bytes of 'x' (a JSON-less value); a key of
 * keysize 'k's when keysize is given. */
static void fill(const char *body, size_t blen, starling_buf *out)
{
	size_t klen, size = (size_t)num(body, blen, "size"), keysize = (size_t)num(body, blen, "keysize");
	const char *k = str(body, blen, "key", &klen);
	char *kk = NULL;
	if (keysize || klen == 0) {
		kk = malloc(keysize + 1);
		memset(kk, 'k', keysize);
		k = kk, klen = keysize;
	}
	char *v = malloc(size + 1);
	memset(v, 'x', size);
	starling_buf_printf(out, "{\"status\":%d}", (int)state_set(k, (int32_t)klen, v, (int32_t)size));
	free(v);
	free(kk);
}

/* binary stores and reads back a key and a value with every byte value. */
static void binary(starling_buf *out)
{
	char k[256], v[256];
	for (int i = 0; i < 256; i++)
		k[i] = (char)i, v[i] = (char)(255 - i);
	int32_t set = state_set(k, 256, v, 256);
	int32_t n = state_get(k, 256);
	char back[256] = {0};
	if (n == 256)
		state_copy(back);
	starling_buf_printf(out, "{\"set\":%d,\"get\":%d,\"same\":%s}", (int)set, (int)n,
			    n == 256 && memcmp(back, v, 256) == 0 ? "true" : "false");
}

int starling_on_request(const char *req, size_t len, starling_buf *out)
{
	const char *action, *body = "{}", *v;
	size_t alen, blen = 2, klen, vlen;
	if (!starling_json_get(req, len, "action", &action, &alen))
		return starling_buf_puts(out, "{\"message\":\"no action\"}"), 1;
	starling_json_get(req, len, "body", &body, &blen);
	const char *k = str(body, blen, "key", &klen);
	if (starling_json_eq(action, alen, "set")) {
		if (!starling_json_get(body, blen, "value", &v, &vlen))
			v = "", vlen = 0;
		starling_buf_printf(out, "{\"status\":%d}", (int)state_set(k, (int32_t)klen, v, (int32_t)vlen));
	} else if (starling_json_eq(action, alen, "get")) {
		get(k, klen, out);
	} else if (starling_json_eq(action, alen, "delete")) {
		starling_buf_printf(out, "{\"status\":%d}", (int)state_delete(k, (int32_t)klen));
	} else if (starling_json_eq(action, alen, "incr")) {
		int64_t n = -12345;
		int32_t s = state_incr(k, (int32_t)klen, num(body, blen, "delta"), &n);
		starling_buf_printf(out, "{\"status\":%d,\"value\":%lld}", (int)s, (long long)n);
	} else if (starling_json_eq(action, alen, "fill")) {
		fill(body, blen, out);
	} else if (starling_json_eq(action, alen, "binary")) {
		binary(out);
	} else if (starling_json_eq(action, alen, "trap")) {
		__builtin_trap();
	} else if (starling_json_eq(action, alen, "badptr")) {
		/* a key outside memory traps the guest */
		starling_buf_printf(out, "%d", (int)state_get((const char *)0x7ffffff0, 200));
	} else if (starling_json_eq(action, alen, "version")) {
		starling_buf_printf(out, "%d", VERSION);
	} else {
		return starling_buf_puts(out, "{\"message\":\"unknown action\"}"), 1;
	}
	return 0;
}

/* trapif traps on documents whose "trap" is true, matches the others. */
int starling_on_filter(const char *in, size_t len)
{
	const char *doc, *t;
	size_t dlen, tlen;
	if (starling_json_get(in, len, "document", &doc, &dlen) &&
	    starling_json_get(doc, dlen, "trap", &t, &tlen) && tlen == 4 && memcmp(t, "true", 4) == 0)
		__builtin_trap();
	return 1;
}
