/* geofence.c — the geofence controller in C (see ../README.md). */
#include <math.h>
#include <stdlib.h>

#include "starling.h"

STARLING_MANIFEST("{\"controller\":\"geofence\",\"actions\":[\"check\"]}")

/* The fence: a circle around Toulouse's Capitole. */
static const double fence_lat = 43.6045, fence_lon = 1.4440, fence_radius = 5000;

/* distance returns the great-circle distance in meters (haversine). */
static double distance(double lat1, double lon1, double lat2, double lon2)
{
	const double r = 6371008.8, rad = M_PI / 180;
	double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
	double a = sin(dlat / 2) * sin(dlat / 2) +
		   cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);
	return 2 * r * asin(sqrt(a));
}

static int missing(starling_buf *out, const char *name)
{
	starling_buf_printf(out, "{\"id\":\"api.assert.missing_argument\",\"message\":\"Missing argument \\\"%s\\\".\",\"props\":[\"%s\"]}", name, name);
	return 1;
}

int starling_on_request(const char *req, size_t len, starling_buf *out)
{
	const char *body, *v;
	size_t blen, vlen;
	double lat, lon;
	if (!starling_json_get(req, len, "body", &body, &blen))
		return missing(out, "body");
	if (!starling_json_get(body, blen, "lat", &v, &vlen) || !starling_json_number(v, vlen, &lat))
		return missing(out, "body.lat");
	if (!starling_json_get(body, blen, "lon", &v, &vlen) || !starling_json_number(v, vlen, &lon))
		return missing(out, "body.lon");
	long d = lround(distance(fence_lat, fence_lon, lat, lon));
	if (d <= fence_radius) {
		starling_buf_printf(out, "{\"inside\":true,\"distance\":%ld}", d);
		return 0;
	}
	starling_buf alert = {0}, resp = {0};
	starling_buf_printf(&alert, "{\"controller\":\"realtime\",\"action\":\"publish\",\"index\":\"geofence\","
				    "\"collection\":\"alerts\",\"body\":{\"lat\":%g,\"lon\":%g,\"distance\":%ld}}",
			    lat, lon, d);
	int status = starling_call(alert.data, alert.len, &resp);
	if (status != 200)
		starling_log(STARLING_WARN, "the alert could not be published");
	starling_buf_printf(out, "{\"inside\":false,\"distance\":%ld,\"alert\":%s}", d, status == 200 ? "true" : "false");
	free(alert.data);
	free(resp.data);
	return 0;
}
