//! empty.rs is the smallest Rust controller: one action returning null.
#[path = "../../../guests/rust/starling.rs"]
mod starling;

starling_guest!(controller: r#"{"controller":"bench","actions":["empty"]}"#, handle);

fn handle(_req: &starling::Request) -> Result<String, starling::Error> {
    Ok("null".to_string())
}
