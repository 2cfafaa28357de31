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

static starling_buf out;
static volatile unsigned long spin;

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

/* done ends an entry point: its answer is in out, an error when is_error. */
static int done(int is_error) { return is_error; }

#ifndef STARLING_NO_PIPE
static int run_pipe(const char *in, int32_t n)
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

static int run_hook(const char *in, int32_t n)
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

/* The C SDK's entry points: what run_pipe and run_hook left in out. */
#ifndef STARLING_NO_PIPE
int starling_on_pipe(const char *in, size_t len, starling_buf *o)
{
	int failed = run_pipe(in, (int32_t)len);
	starling_buf_append(o, out.data, out.len);
	return failed;
}
#endif

int starling_on_hook(const char *in, size_t len, starling_buf *o)
{
	int failed = run_hook(in, (int32_t)len);
	starling_buf_append(o, out.data, out.len);
	return failed;
}
