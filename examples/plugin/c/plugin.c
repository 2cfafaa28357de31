/* plugin.c — the price guard plugin in C (see ../README.md): a pipe on
 * document:beforeCreate, a hook on auth:afterLogin and a controller action
 * "stats". */
#include <stdlib.h>
#include <string.h>

#include "starling.h"

STARLING_MANIFEST("{\"controller\":\"plugin\",\"actions\":[\"stats\"],"
		  "\"pipes\":[\"document:beforeCreate\"],\"hooks\":[\"auth:afterLogin\"]}")

#define CHECKED_BY "plugin-c"

/* The price range, read from the module's configuration on first use by
 * each instance (init runs on one instance only). */
static double min_price = 0, max_price = 1000;
static int configured;

/* read_range sets the range from a configuration JSON; it returns 0 when
 * the configuration is unusable. */
static int read_range(const char *cfg, size_t n)
{
	const char *v;
	size_t vlen;
	double lo = 0, hi = 1000;
	if (starling_json_get(cfg, n, "minPrice", &v, &vlen) && !starling_json_number(v, vlen, &lo))
		return 0;
	if (starling_json_get(cfg, n, "maxPrice", &v, &vlen) && !starling_json_number(v, vlen, &hi))
		return 0;
	if (lo > hi)
		return 0;
	min_price = lo, max_price = hi, configured = 1;
	return 1;
}

int starling_on_init(const char *input, size_t len, starling_buf *out)
{
	const char *cfg;
	size_t n;
	if (starling_json_get(input, len, "config", &cfg, &n) && !read_range(cfg, n)) {
		starling_buf_puts(out, "{\"message\":\"config: minPrice and maxPrice must be numbers, minPrice <= maxPrice\"}");
		return 1;
	}
	(void)out;
	starling_buf msg = {0};
	starling_buf_printf(&msg, "price range [%g, %g]", min_price, max_price);
	starling_buf_append(&msg, "", 1);
	starling_log(STARLING_INFO, msg.data);
	free(msg.data);
	return 0;
}

static void configure(void)
{
	if (configured)
		return;
	starling_buf cfg = {0};
	starling_config(&cfg);
	if (!read_range(cfg.data ? cfg.data : "null", cfg.len))
		configured = 1; /* keep the defaults; init refused such a configuration anyway */
	free(cfg.data);
}

static int invalid(starling_buf *out)
{
	starling_buf_printf(out, "{\"id\":\"api.assert.invalid_argument\",\"props\":[\"body.price\","
				 "\"a number between %g and %g\"]}", min_price, max_price);
	return 1;
}

int starling_on_pipe(const char *input, size_t len, starling_buf *out)
{
	const char *req, *body, *v;
	size_t rlen, blen, vlen;
	double price;
	configure();
	if (!starling_json_get(input, len, "request", &req, &rlen) ||
	    !starling_json_get(req, rlen, "body", &body, &blen) || blen < 2 || body[0] != '{')
		return invalid(out);
	if (!starling_json_get(body, blen, "price", &v, &vlen) || !starling_json_number(v, vlen, &price) ||
	    price < min_price || price > max_price)
		return invalid(out);
	/* The body with checkedBy added last (the last of duplicate keys wins). */
	size_t end = blen - 1;
	while (end > 0 && body[end] != '}')
		end--;
	starling_buf_puts(out, "{\"request\":{\"body\":");
	starling_buf_append(out, body, end);
	starling_buf_puts(out, ",\"checkedBy\":\"" CHECKED_BY "\"}}}");
	return 0;
}

int starling_on_hook(const char *input, size_t len, starling_buf *out)
{
	(void)input, (void)len;
	int status = starling_state_incr("logins", 6, 1, NULL);
	if (status < 0) {
		starling_buf_printf(out, "{\"message\":\"state_incr logins: status %d\"}", status);
		return 1;
	}
	return 0;
}

int starling_on_request(const char *req, size_t len, starling_buf *out)
{
	(void)req, (void)len;
	starling_buf v = {0};
	int status = starling_state_get("logins", 6, &v);
	if (status == STARLING_STATE_ABSENT) {
		starling_buf_puts(out, "{\"logins\":0}");
		return 0;
	}
	if (status < 0) {
		starling_buf_printf(out, "{\"message\":\"state_get logins: status %d\"}", status);
		return 1;
	}
	starling_buf_puts(out, "{\"logins\":");
	starling_buf_append(out, v.data, v.len);
	starling_buf_puts(out, "}");
	free(v.data);
	return 0;
}
