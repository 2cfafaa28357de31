/* abi3.c is an ABI 3 guest (build with -DSTARLING_ABI_VERSION=3) that
 * exercises the module configuration, starling_init, starling_tick, scoped
 * API calls and http_request. Build with -DTICK=N for a manifest with a
 * tick of N ms. Its init reads the configuration: {"failInit": true} makes
 * it fail, {"trapInit": true} trap, {"loopInit": true} loop, {"initCall":
 * {...}} run that API request. */
#include <stdlib.h>
#include <string.h>

#include "starling.h"

#define IMPORT(name) __attribute__((import_module("starling"), import_name(name)))

IMPORT("config") int32_t host_config(void);
IMPORT("http_request") int32_t host_http_request(const char *ptr, int32_t len);
IMPORT("call_result") void host_call_result(char *ptr);

#define ACTIONS "\"controller\":\"abi3\",\"actions\":[\"config\",\"init\",\"call\",\"http\",\"ticks\"]"
#ifdef TICK
#define STR2(x) #x
#define STR(x) STR2(x)
STARLING_MANIFEST("{" ACTIONS ",\"tick\":" STR(TICK) "}")
#else
STARLING_MANIFEST("{" ACTIONS "}")
#endif

static starling_buf init_input, init_call;
static int ticks;
static volatile unsigned long spin;

/* take appends the answer of the last host call, n bytes long. */
static void take(starling_buf *out, int32_t n)
{
	char *p = malloc(n > 0 ? (size_t)n : 1);
	host_call_result(p);
	starling_buf_append(out, p, (size_t)n);
	free(p);
}

static int is_true(const char *json, size_t len, const char *key)
{
	const char *v;
	size_t vlen;
	return starling_json_get(json, len, key, &v, &vlen) && vlen == 4 && !memcmp(v, "true", 4);
}

int starling_on_init(const char *ptr, size_t len, starling_buf *out)
{
	const char *cfg, *v;
	size_t clen, vlen;
	init_input.len = 0;
	starling_buf_append(&init_input, ptr, len);
	if (!starling_json_get(ptr, len, "config", &cfg, &clen))
		return starling_buf_puts(out, "{\"message\":\"no config in the input\"}"), 1;
	if (is_true(cfg, clen, "trapInit"))
		__builtin_trap();
	if (is_true(cfg, clen, "loopInit"))
		for (;;)
			spin++;
	if (is_true(cfg, clen, "failInit"))
		return starling_buf_puts(out, "{\"message\":\"init refused by the guest\"}"), 1;
	if (starling_json_get(cfg, clen, "initCall", &v, &vlen)) {
		init_call.len = 0;
		starling_call(v, vlen, &init_call);
	}
	return 0;
}

int starling_on_tick(const char *ptr, size_t len, starling_buf *out)
{
	(void)out;
	starling_buf req = {0}, resp = {0};
	const char *now;
	size_t nlen;
	ticks++;
	if (!starling_json_get(ptr, (size_t)len, "now", &now, &nlen))
		return 0;
	starling_buf_printf(&req, "{\"controller\":\"realtime\",\"action\":\"publish\",\"index\":\"i\","
				  "\"collection\":\"c\",\"body\":{\"tick\":%d,\"now\":%.*s}}",
			    ticks, (int)nlen, now);
	starling_call(req.data, req.len, &resp);
	free(req.data);
	free(resp.data);
	return 0;
}

int starling_on_request(const char *req, size_t len, starling_buf *out)
{
	const char *action, *body;
	size_t alen, blen;
	if (!starling_json_get(req, len, "action", &action, &alen))
		return starling_buf_puts(out, "{\"message\":\"no action\"}"), 1;
	int has_body = starling_json_get(req, len, "body", &body, &blen);
	if (starling_json_eq(action, alen, "config")) {
		take(out, host_config());
	} else if (starling_json_eq(action, alen, "init")) {
		starling_buf_puts(out, "{\"input\":");
		if (init_input.len)
			starling_buf_append(out, init_input.data, init_input.len);
		else
			starling_buf_puts(out, "null");
		starling_buf_puts(out, ",\"call\":");
		if (init_call.len)
			starling_buf_append(out, init_call.data, init_call.len);
		else
			starling_buf_puts(out, "null");
		starling_buf_puts(out, "}");
	} else if (starling_json_eq(action, alen, "call") && has_body) {
		starling_call(body, blen, out);
	} else if (starling_json_eq(action, alen, "http") && has_body) {
		take(out, host_http_request(body, (int32_t)blen));
	} else if (starling_json_eq(action, alen, "ticks")) {
		starling_buf_printf(out, "%d", ticks);
	} else {
		return starling_buf_puts(out, "{\"message\":\"unknown action or no body\"}"), 1;
	}
	return 0;
}
