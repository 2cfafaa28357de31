/* geofence_filter.c — a Wasm filter "near": does the document's location lie
 * within args.distance meters of (args.lat, args.lon)? See README.md. */
#include <math.h>

#include "starling.h"

STARLING_MANIFEST("{\"filters\":[\"near\"]}")

static double distance(double lat1, double lon1, double lat2, double lon2)
{
	const double r = 6371008.8, rad = M_PI / 180;
	double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
	double a = sin(dlat / 2) * sin(dlat / 2) +
		   cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);
	return 2 * r * asin(sqrt(a));
}

/* number reads obj.key as a number. */
static int number(const char *obj, size_t n, const char *key, double *out)
{
	const char *v;
	size_t vlen;
	return starling_json_get(obj, n, key, &v, &vlen) && starling_json_number(v, vlen, out);
}

int starling_on_filter(const char *in, size_t len)
{
	const char *args, *doc, *loc;
	size_t alen, dlen, llen;
	double lat, lon, max, dlat, dlon;
	if (!starling_json_get(in, len, "args", &args, &alen) || !number(args, alen, "lat", &lat) ||
	    !number(args, alen, "lon", &lon) || !number(args, alen, "distance", &max))
		return -1; /* bad arguments: an error */
	if (!starling_json_get(in, len, "document", &doc, &dlen) ||
	    !starling_json_get(doc, dlen, "location", &loc, &llen) || !number(loc, llen, "lat", &dlat) ||
	    !number(loc, llen, "lon", &dlon))
		return 0; /* no location: no match */
	return distance(lat, lon, dlat, dlon) <= max;
}
