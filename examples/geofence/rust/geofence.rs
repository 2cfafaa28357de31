//! geofence.rs — the geofence controller in Rust (see ../README.md).
#[path = "../../../guests/rust/starling.rs"]
mod starling;

use starling::{Error, Request};

starling_guest!(controller: r#"{"controller":"geofence","actions":["check"]}"#, check);

// The fence: a circle around Toulouse's Capitole.
const FENCE_LAT: f64 = 43.6045;
const FENCE_LON: f64 = 1.4440;
const FENCE_RADIUS: f64 = 5000.0;

/// The great-circle distance in meters (haversine).
fn distance(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (r, rad) = (6371008.8, std::f64::consts::PI / 180.0);
    let (dlat, dlon) = ((lat2 - lat1) * rad, (lon2 - lon1) * rad);
    let a = (dlat / 2.0).sin().powi(2) + (lat1 * rad).cos() * (lat2 * rad).cos() * (dlon / 2.0).sin().powi(2);
    2.0 * r * a.sqrt().asin()
}

fn missing(name: &str) -> Error {
    Error {
        message: format!("Missing argument \"{}\".", name),
        id: Some("api.assert.missing_argument".to_string()),
    }
}

fn check(req: &Request) -> Result<String, Error> {
    let body = req.body().ok_or_else(|| missing("body"))?;
    let lat = starling::num(starling::get(body, "lat")).ok_or_else(|| missing("body.lat"))?;
    let lon = starling::num(starling::get(body, "lon")).ok_or_else(|| missing("body.lon"))?;
    let d = distance(FENCE_LAT, FENCE_LON, lat, lon).round() as i64;
    if d as f64 <= FENCE_RADIUS {
        return Ok(format!("{{\"inside\":true,\"distance\":{}}}", d));
    }
    let resp = starling::call(&format!(
        "{{\"controller\":\"realtime\",\"action\":\"publish\",\"index\":\"geofence\",\"collection\":\"alerts\",\"body\":{{\"lat\":{},\"lon\":{},\"distance\":{}}}}}",
        lat, lon, d
    ));
    let published = starling::get(&resp, "status") == Some("200");
    if !published {
        starling::log(starling::WARN, "the alert could not be published");
    }
    Ok(format!("{{\"inside\":false,\"distance\":{},\"alert\":{}}}", d, published))
}
