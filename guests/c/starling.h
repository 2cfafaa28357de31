/*
 * starling.h — C SDK for Starling Wasm guests, ABI 3 (see ../README.md).
 *
 * A guest implements starling_on_request (a controller), starling_on_filter
 * (filters), starling_on_pipe and starling_on_hook (events), starling_on_init
 * and starling_on_tick, those it needs, and names what it provides with
 * STARLING_MANIFEST. starling.c turns them into the ABI exports.
 *
 * Build (reactor):
 *   clang-14 --target=wasm32-wasi --sysroot=/usr -O2 -mexec-model=reactor \
 *     -I guests/c -o guest.wasm guests/c/starling.c guest.c
 */
#ifndef STARLING_H
#define STARLING_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A growable byte buffer: where results, errors and API answers go. */
typedef struct {
	char *data;
	size_t len, cap;
} starling_buf;

void starling_buf_append(starling_buf *b, const char *s, size_t n);
void starling_buf_puts(starling_buf *b, const char *s);
void starling_buf_printf(starling_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string, quotes included. */
void starling_buf_json_string(starling_buf *b, const char *s, size_t n);

/*
 * starling_on_request serves one API request. request is the request JSON
 * (controller, action, requestId, args, body, volatile, connection). It
 * writes into out either the result JSON and returns 0, or an error object
 * {"message": "...", "id": "optional.kuzzle.id"} and returns non-zero.
 */
int starling_on_request(const char *request, size_t len, starling_buf *out);

/*
 * starling_on_filter tests a document: input is {"filter": name, "args":
 * {...}, "document": {...}}. It returns 1 (match), 0 (no match), or a
 * negative value for an error.
 */
int starling_on_filter(const char *input, size_t len);

/*
 * ABI 3 entry points; each gets its input ({"event", "request", "result",
 * "error"} for pipes and hooks, {"config"} for init, {"now"} for tick),
 * writes its answer into out and returns 0, or writes an error object and
 * returns non-zero. A pipe that leaves out empty changes nothing; it may
 * write {"request": {"args"|"body"|"volatile": ...}} (before events) or
 * {"result": ...} (after events). A hook's, init's and tick's out is
 * ignored on success.
 */
int starling_on_pipe(const char *input, size_t len, starling_buf *out);
int starling_on_hook(const char *input, size_t len, starling_buf *out);
int starling_on_init(const char *input, size_t len, starling_buf *out);
int starling_on_tick(const char *input, size_t len, starling_buf *out);

/* The manifest: {"controller": "...", "actions": [...], "filters": [...],
 * "pipes": [...], "hooks": [...], "tick": ms}. */
#define STARLING_MANIFEST(json) const char starling_manifest_json[] = json;

/* Log levels of starling_log. */
enum { STARLING_DEBUG, STARLING_INFO, STARLING_WARN, STARLING_ERROR };

/* starling_log writes one log line in the server's log. */
void starling_log(int level, const char *msg);

/*
 * starling_call runs an API request (JSON) as the user of the request being
 * served; the Kuzzle response JSON ({status, error, result, ...}) is
 * appended to response. It returns the response status (200 on success).
 */
int starling_call(const char *request, size_t len, starling_buf *response);

/* starling_now returns the wall clock, in milliseconds since the epoch. */
int64_t starling_now(void);

/* starling_config appends the module's configuration JSON ("null" when
 * none) to out and returns its length. */
size_t starling_config(starling_buf *out);

/* Statuses of the state functions. */
enum {
	STARLING_STATE_ABSENT = -1,
	STARLING_STATE_TOO_LARGE = -2,
	STARLING_STATE_QUOTA = -3,
	STARLING_STATE_NOT_INTEGER = -4,
	STARLING_STATE_STORAGE = -5,
};

/* starling_state_get appends the value at key to value and returns 0, or
 * returns a negative status (STARLING_STATE_ABSENT when there is none). */
int starling_state_get(const char *key, size_t klen, starling_buf *value);
/* starling_state_set stores value at key: 0, or a negative status. */
int starling_state_set(const char *key, size_t klen, const char *value, size_t vlen);
/* starling_state_delete returns 1 (deleted), 0 (absent) or a negative status. */
int starling_state_delete(const char *key, size_t klen);
/* starling_state_incr adds delta to the integer at key (absent: 0), sets
 * *value (if not NULL) to the result and returns 0, or a negative status. */
int starling_state_incr(const char *key, size_t klen, int64_t delta, int64_t *value);

/*
 * starling_http_request runs an outbound HTTP request ({"method", "url",
 * "headers", "body"}); the answer JSON ({"status", "headers", "body"} or
 * {"error": {...}}) is appended to response. It returns the HTTP status,
 * 0 when the request could not be made.
 */
int starling_http_request(const char *request, size_t len, starling_buf *response);

/*
 * starling_json_get finds key in the JSON object json[0..len) (top level
 * only) and sets *val, *vlen to its raw value. It returns 1 if found.
 */
int starling_json_get(const char *json, size_t len, const char *key,
		      const char **val, size_t *vlen);
/* starling_json_number parses a raw JSON number; returns 1 on success. */
int starling_json_number(const char *val, size_t vlen, double *out);
/* starling_json_eq reports whether a raw JSON string equals s (no escapes). */
int starling_json_eq(const char *val, size_t vlen, const char *s);

#ifdef __cplusplus
}
#endif
#endif
