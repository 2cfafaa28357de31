/* faults.c is a guest that misbehaves on demand, one action per fault, and
 * behaves with "echo" and "empty", so tests can check that one bad call
 * costs only its caller. */
#include <stdlib.h>
#include <string.h>

#include "starling.h"

STARLING_MANIFEST("{\"controller\":\"faults\",\"actions\":[\"empty\",\"echo\",\"loop\",\"bomb\","
		  "\"trap\",\"badjson\",\"huge\",\"fail\",\"kerror\",\"call\",\"now\",\"slow\"],"
		  "\"filters\":[\"even\"]}")

static volatile unsigned long spin;
static char *volatile kept; /* so that the compiler keeps the allocations */

int starling_on_request(const char *req, size_t len, starling_buf *out)
{
	const char *action, *v;
	size_t alen, vlen;
	if (!starling_json_get(req, len, "action", &action, &alen))
		return starling_buf_puts(out, "{\"message\":\"no action\"}"), 1;
	if (starling_json_eq(action, alen, "empty")) {
		starling_buf_puts(out, "null");
	} else if (starling_json_eq(action, alen, "echo")) {
		starling_buf_append(out, req, len);
	} else if (starling_json_eq(action, alen, "loop")) {
		for (;;)
			spin++;
	} else if (starling_json_eq(action, alen, "bomb")) {
		for (;;) {
			char *p = malloc(1 << 20);
			if (!p)
				abort();
			memset(p, 1, 1 << 20);
			kept = p;
		}
	} else if (starling_json_eq(action, alen, "trap")) {
		__builtin_trap();
	} else if (starling_json_eq(action, alen, "badjson")) {
		starling_buf_puts(out, "{\"oops");
	} else if (starling_json_eq(action, alen, "huge")) {
		starling_buf_puts(out, "\"");
		for (int i = 0; i < 10000; i++)
			starling_buf_append(out, "xxxxxxxxxx", 10);
		starling_buf_puts(out, "\"");
	} else if (starling_json_eq(action, alen, "fail")) {
		starling_buf_puts(out, "{\"message\":\"the guest says no\"}");
		return 1;
	} else if (starling_json_eq(action, alen, "kerror")) {
		starling_buf_puts(out, "{\"id\":\"api.assert.missing_argument\",\"props\":[\"lat\"]}");
		return 1;
	} else if (starling_json_eq(action, alen, "call")) {
		if (!starling_json_get(req, len, "body", &v, &vlen))
			return starling_buf_puts(out, "{\"message\":\"no body\"}"), 1;
		starling_log(STARLING_INFO, "calling the API");
		starling_call(v, vlen, out);
	} else if (starling_json_eq(action, alen, "slow")) {
		/* busy for 300 ms, then answers: a call in flight during a reload */
		int64_t end = starling_now() + 300;
		while (starling_now() < end)
			spin++;
		starling_buf_puts(out, "\"slow done\"");
	} else if (starling_json_eq(action, alen, "now")) {
		starling_buf_printf(out, "%lld", (long long)starling_now());
	} else {
		return starling_buf_puts(out, "{\"message\":\"unknown action\"}"), 1;
	}
	return 0;
}

/* even matches documents whose "n" is even. */
int starling_on_filter(const char *in, size_t len)
{
	const char *doc, *n;
	size_t dlen, nlen;
	double d;
	if (!starling_json_get(in, len, "document", &doc, &dlen) ||
	    !starling_json_get(doc, dlen, "n", &n, &nlen) || !starling_json_number(n, nlen, &d))
		return 0;
	return ((long long)d) % 2 == 0;
}
