/* pipes.c is an ABI 3 guest with pipes and hooks, built by the tests with
 * -DPIPE_MANIFEST (its manifest) and -DTAG (a name it stamps what it
 * changes with). What its pipes do is chosen by the request's
 * volatile.pipe, what its hooks do by volatile.hook. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "starling.h"

#ifndef PIPE_MANIFEST
#define PIPE_MANIFEST "{\"pipes\":[\"document:beforeCreate\"]}"
#endif
#ifndef TAG
#define TAG "a"
#endif

STARLING_MANIFEST(PIPE_MANIFEST)

#define EXPORT(name) __attribute__((export_name(name)))

static starling_buf out;
static volatile unsigned long spin;

static int64_t pack(const char *ptr, size_t len, int is_error)
{
	uint64_t n = (uint32_t)len | (is_error ? 0x80000000u : 0);
	return (int64_t)((uint64_t)(uintptr_t)ptr << 32 | n);
}

/* get finds input.request.volatile.key; an empty string when absent. */
static int get(const char *in, size_t len, const char *key, const char **v, size_t *vlen)
{
	const char *req, *vol;
	size_t rlen, volen;
	if (!starling_json_get(in, len, "request", &req, &rlen) ||
	    !starling_json_get(req, rlen, "volatile", &vol, &volen) ||
	    !starling_json_get(vol, volen, key, v, vlen)) {
		*v = "\"\"";
		*vlen = 2;
		return 0;
	}
	return 1;
}

static int64_t done(int is_error)
{
	return pack(out.data, out.len, is_error);
}

#ifndef NO_PIPE
EXPORT("starling_pipe") int64_t starling_pipe(const char *in, int32_t n)
{
	size_t len = (size_t)n, plen, blen, rlen, elen;
	const char *p, *body, *result, *error;
	out.len = 0;
	get(in, len, "pipe", &p, &plen);
	if (starling_json_eq(p, plen, "stamp")) {
		const char *req;
		size_t reqlen;
		starling_json_get(in, len, "request", &req, &reqlen);
		if (!starling_json_get(req, reqlen, "body", &body, &blen))
			body = "null", blen = 4;
		starling_buf_puts(&out, "{\"request\":{\"body\":{\"stampedBy\":\"" TAG "\",\"inner\":");
		starling_buf_append(&out, body, blen);
		starling_buf_puts(&out, "}}}");
	} else if (starling_json_eq(p, plen, "after")) {
		if (!starling_json_get(in, len, "result", &result, &rlen))
			return done(0);
		starling_buf_puts(&out, "{\"result\":{\"changedBy\":\"" TAG "\",\"inner\":");
		starling_buf_append(&out, result, rlen);
		starling_buf_puts(&out, "}}");
	} else if (starling_json_eq(p, plen, "recover")) {
		if (!starling_json_get(in, len, "error", &error, &elen))
			return done(0);
		starling_buf_puts(&out, "{\"result\":{\"recoveredBy\":\"" TAG "\",\"error\":");
		starling_buf_append(&out, error, elen);
		starling_buf_puts(&out, "}}");
	} else if (starling_json_eq(p, plen, "reject")) {
		starling_buf_puts(&out, "{\"id\":\"security.rights.forbidden\",\"message\":\"no creation today (" TAG ")\"}");
		return done(1);
	} else if (starling_json_eq(p, plen, "unknownid")) {
		starling_buf_puts(&out, "{\"id\":\"my.own.error\",\"message\":\"mine\"}");
		return done(1);
	} else if (starling_json_eq(p, plen, "loop")) {
		for (;;)
			spin++;
	} else if (starling_json_eq(p, plen, "trap")) {
		__builtin_trap();
	} else if (starling_json_eq(p, plen, "notjson")) {
		starling_buf_puts(&out, "{\"oops");
	} else if (starling_json_eq(p, plen, "array")) {
		starling_buf_puts(&out, "[1,2]");
	} else if (starling_json_eq(p, plen, "badkey")) {
		starling_buf_puts(&out, "{\"what\":1}");
	} else if (starling_json_eq(p, plen, "controller")) {
		starling_buf_puts(&out, "{\"request\":{\"args\":{\"controller\":\"server\"}}}");
	} else if (starling_json_eq(p, plen, "jwt")) {
		starling_buf_puts(&out, "{\"request\":{\"args\":{\"jwt\":\"forged\"}}}");
	} else if (starling_json_eq(p, plen, "resultbefore")) {
		starling_buf_puts(&out, "{\"result\":1}");
	} else if (starling_json_eq(p, plen, "empty")) {
		starling_buf_puts(&out, "{}");
	}
	return done(0);
}
#endif

EXPORT("starling_hook") int64_t starling_hook(const char *in, int32_t n)
{
	size_t len = (size_t)n, hlen, elen;
	const char *h, *event;
	starling_buf req = {0}, resp = {0};
	out.len = 0;
	get(in, len, "hook", &h, &hlen);
	if (starling_json_eq(h, hlen, "loop"))
		for (;;)
			spin++;
	if (starling_json_eq(h, hlen, "trap"))
		__builtin_trap();
	if (!starling_json_get(in, len, "event", &event, &elen))
		return done(0);
	starling_buf_puts(&req, "{\"controller\":\"realtime\",\"action\":\"publish\",\"index\":\"hooks\","
				"\"collection\":\"events\",\"body\":{\"hook\":\"" TAG "\",\"event\":");
	starling_buf_append(&req, event, elen);
	starling_buf_puts(&req, ",\"input\":");
	starling_buf_append(&req, in, len);
	starling_buf_puts(&req, "}}");
	starling_call(req.data, req.len, &resp);
	free(req.data);
	free(resp.data);
	return done(0);
}
