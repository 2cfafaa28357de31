//! plugin.rs — the price guard plugin in Rust (see ../README.md): a pipe on
//! document:beforeCreate, a hook on auth:afterLogin and a controller action
//! "stats".
#[path = "../../../guests/rust/starling.rs"]
#[macro_use]
mod starling;

use starling::{Error, Event, Request};
use std::cell::Cell;

starling_guest!(
    manifest: r#"{"controller":"plugin","actions":["stats"],"pipes":["document:beforeCreate"],"hooks":["auth:afterLogin"]}"#,
    controller: stats,
    pipe: check_price,
    hook: count_login,
    init: init
);

const CHECKED_BY: &str = "plugin-rust";

thread_local! {
    // This instance's range, read from the configuration on first use
    // (init runs on one instance only).
    static RANGE: Cell<Option<(f64, f64)>> = Cell::new(None);
}

/// Reads a configuration: null keeps the defaults.
fn parse_range(config: &str) -> Result<(f64, f64), Error> {
    let bad = || Error::new("config: minPrice and maxPrice must be numbers, minPrice <= maxPrice");
    let mut range = (0.0, 1000.0);
    if config.trim() != "null" {
        if let Some(v) = starling::get(config, "minPrice") {
            range.0 = starling::num(Some(v)).ok_or_else(bad)?;
        }
        if let Some(v) = starling::get(config, "maxPrice") {
            range.1 = starling::num(Some(v)).ok_or_else(bad)?;
        }
    }
    if range.0 > range.1 {
        return Err(bad());
    }
    Ok(range)
}

fn range() -> (f64, f64) {
    RANGE.with(|r| {
        if let Some(v) = r.get() {
            return v;
        }
        let v = parse_range(&starling::config()).unwrap_or((0.0, 1000.0));
        r.set(Some(v));
        v
    })
}

fn init(config: &str) -> Result<(), Error> {
    let (lo, hi) = parse_range(config)?;
    starling::log(starling::INFO, &format!("price range [{}, {}]", lo, hi));
    Ok(())
}

fn check_price(ev: &Event) -> Result<String, Error> {
    let (lo, hi) = range();
    let invalid = || Error {
        message: format!("Invalid argument \"body.price\". Expected: a number between {} and {}", lo, hi),
        id: Some("api.assert.invalid_argument".into()),
    };
    let req = ev.request();
    let body = req.body().filter(|b| b.starts_with('{')).ok_or_else(invalid)?;
    let price = starling::num(starling::get(body, "price")).ok_or_else(invalid)?;
    if price < lo || price > hi {
        return Err(invalid());
    }
    // The body with checkedBy added last (the last of duplicate keys wins).
    let end = body.rfind('}').ok_or_else(invalid)?;
    let stamped = format!("{},\"checkedBy\":{}}}", &body[..end], starling::quote(CHECKED_BY));
    Ok(starling::change_body(&stamped))
}

fn count_login(_ev: &Event) -> Result<(), Error> {
    starling::state_incr("logins", 1)
        .map(|_| ())
        .map_err(|e| Error::new(&format!("state_incr logins: {:?}", e)))
}

fn stats(_req: &Request) -> Result<String, Error> {
    match starling::state_get("logins") {
        Ok(Some(v)) => Ok(format!("{{\"logins\":{}}}", String::from_utf8_lossy(&v))),
        Ok(None) => Ok("{\"logins\":0}".into()),
        Err(e) => Err(Error::new(&format!("state_get logins: {:?}", e))),
    }
}
