/* empty.c is the smallest C controller: every action returns null, for the
 * host overhead benchmark. */
#include "starling.h"

STARLING_MANIFEST("{\"controller\":\"bench\",\"actions\":[\"empty\"]}")

int starling_on_request(const char *req, size_t len, starling_buf *out)
{
	(void)req, (void)len;
	starling_buf_append(out, "null", 4);
	return 0;
}
