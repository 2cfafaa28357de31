//! starling.rs — Rust SDK for Starling Wasm guests, ABI 2 (see ../README.md).
//!
//! Std only, no crates. A guest includes this file as a module and names its
//! manifest and its one function with the `starling_guest!` macro:
//!
//! ```ignore
//! #[path = "../../guests/rust/starling.rs"]
//! mod starling;
//! use starling::{Request, Error};
//! starling_guest!(controller: r#"{"controller":"hello","actions":["hi"]}"#, handle);
//! fn handle(req: &Request) -> Result<String, Error> { Ok("\"hi\"".into()) }
//! ```
//!
//! Build: `/usr/bin/rustc --target wasm32-wasi --crate-type cdylib -O
//! -C linker=wasm-ld-14 -o guest.wasm guest.rs`.
#![allow(dead_code)]

use std::cell::RefCell;

#[link(wasm_import_module = "starling")]
extern "C" {
    #[link_name = "log"]
    fn host_log(level: i32, ptr: *const u8, len: i32);
    #[link_name = "now"]
    fn host_now() -> i64;
    #[link_name = "call"]
    fn host_call(ptr: *const u8, len: i32) -> i32;
    #[link_name = "call_result"]
    fn host_call_result(ptr: *mut u8);
}

/// A request a controller serves: its JSON, with accessors.
pub struct Request<'a> {
    pub json: &'a str,
}

impl<'a> Request<'a> {
    /// The action name.
    pub fn action(&self) -> &'a str {
        unquote(get(self.json, "action").unwrap_or(""))
    }
    /// The raw JSON of the body, if any.
    pub fn body(&self) -> Option<&'a str> {
        get(self.json, "body")
    }
    /// The raw JSON of one argument, if any.
    pub fn arg(&self, name: &str) -> Option<&'a str> {
        get(self.json, "args").and_then(|a| get(a, name))
    }
}

/// An error a handler returns: a message and, optionally, a Kuzzle error id.
pub struct Error {
    pub message: String,
    pub id: Option<String>,
}

impl Error {
    pub fn new(message: &str) -> Error {
        Error { message: message.to_string(), id: None }
    }
    fn json(&self) -> String {
        let mut s = format!("{{\"message\":{}", quote(&self.message));
        if let Some(id) = &self.id {
            s.push_str(&format!(",\"id\":{}", quote(id)));
        }
        s.push('}');
        s
    }
}

/// Log levels.
pub const DEBUG: i32 = 0;
pub const INFO: i32 = 1;
pub const WARN: i32 = 2;
pub const ERROR: i32 = 3;

/// Writes a line in the server's log.
pub fn log(level: i32, msg: &str) {
    unsafe { host_log(level, msg.as_ptr(), msg.len() as i32) }
}

/// The wall clock, in milliseconds since the epoch.
pub fn now() -> i64 {
    unsafe { host_now() }
}

/// Runs an API request (JSON) as the user of the request being served and
/// returns the response JSON.
pub fn call(request: &str) -> String {
    unsafe {
        let n = host_call(request.as_ptr(), request.len() as i32) as usize;
        let mut out = vec![0u8; n + 1];
        host_call_result(out.as_mut_ptr());
        out.truncate(n);
        String::from_utf8_lossy(&out).into_owned()
    }
}

thread_local! {
    static INPUT: RefCell<Vec<u8>> = RefCell::new(Vec::new());
    static OUTPUT: RefCell<Vec<u8>> = RefCell::new(Vec::new());
}

#[doc(hidden)]
pub fn alloc(len: i32) -> i32 {
    INPUT.with(|i| {
        let mut i = i.borrow_mut();
        i.clear();
        i.resize(len.max(1) as usize, 0);
        i.as_mut_ptr() as i32
    })
}

#[doc(hidden)]
pub fn pack(bytes: &[u8], is_error: bool) -> i64 {
    OUTPUT.with(|o| {
        let mut o = o.borrow_mut();
        o.clear();
        o.extend_from_slice(bytes);
        let mut n = o.len() as u64;
        if is_error {
            n |= 0x8000_0000;
        }
        (((o.as_ptr() as u64) << 32) | n) as i64
    })
}

#[doc(hidden)]
pub fn with_input<R>(len: i32, f: impl FnOnce(&str) -> R) -> R {
    INPUT.with(|i| {
        let i = i.borrow();
        f(std::str::from_utf8(&i[..len as usize]).unwrap_or(""))
    })
}

#[doc(hidden)]
pub fn handle(len: i32, h: fn(&Request) -> Result<String, Error>) -> i64 {
    let res = with_input(len, |json| h(&Request { json }));
    match res {
        Ok(s) => pack(s.as_bytes(), false),
        Err(e) => pack(e.json().as_bytes(), true),
    }
}

#[doc(hidden)]
pub fn filter(len: i32, f: fn(&str, &str, &str) -> bool) -> i32 {
    with_input(len, |json| {
        let name = unquote(get(json, "filter").unwrap_or(""));
        f(name, get(json, "args").unwrap_or("{}"), get(json, "document").unwrap_or("{}")) as i32
    })
}

/// Defines the ABI exports: `starling_guest!(controller: MANIFEST, handler)`
/// or `starling_guest!(filters: MANIFEST, test)`.
#[macro_export]
macro_rules! starling_guest {
    (@common $manifest:expr) => {
        #[no_mangle]
        pub extern "C" fn starling_abi_version() -> i32 { 2 }
        #[no_mangle]
        pub extern "C" fn starling_alloc(len: i32) -> i32 { starling::alloc(len) }
        #[no_mangle]
        pub extern "C" fn starling_manifest() -> i64 { starling::pack($manifest.as_bytes(), false) }
    };
    (controller: $manifest:expr, $handler:path) => {
        starling_guest!(@common $manifest);
        #[no_mangle]
        pub extern "C" fn starling_handle(_ptr: i32, len: i32) -> i64 { starling::handle(len, $handler) }
    };
    (filters: $manifest:expr, $test:path) => {
        starling_guest!(@common $manifest);
        #[no_mangle]
        pub extern "C" fn starling_filter(_ptr: i32, len: i32) -> i32 { starling::filter(len, $test) }
    };
}

// JSON helpers: just enough to pick values out of objects.

fn space(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

fn skip(s: &[u8], mut i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    match s[i] {
        b'"' => {
            i += 1;
            while i < s.len() {
                match s[i] {
                    b'\\' => i += 2,
                    b'"' => return i + 1,
                    _ => i += 1,
                }
            }
            s.len()
        }
        b'{' | b'[' => {
            let mut depth = 0;
            while i < s.len() {
                match s[i] {
                    b'"' => {
                        i = skip(s, i);
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return i + 1;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            s.len()
        }
        _ => {
            while i < s.len() && !matches!(s[i], b',' | b'}' | b']' | b' ' | b'\n') {
                i += 1;
            }
            i
        }
    }
}

/// The raw JSON of key in a JSON object (top level).
pub fn get<'a>(json: &'a str, key: &str) -> Option<&'a str> {
    let s = json.as_bytes();
    let mut i = space(s, 0);
    if i >= s.len() || s[i] != b'{' {
        return None;
    }
    i += 1;
    loop {
        i = space(s, i);
        if i >= s.len() || s[i] != b'"' {
            return None;
        }
        let kend = skip(s, i);
        let k = &json[i + 1..kend - 1];
        i = space(s, kend);
        if i >= s.len() || s[i] != b':' {
            return None;
        }
        i = space(s, i + 1);
        let vend = skip(s, i);
        if k == key {
            return Some(&json[i..vend]);
        }
        i = space(s, vend);
        if i >= s.len() || s[i] != b',' {
            return None;
        }
        i += 1;
    }
}

/// Parses a raw JSON number.
pub fn num(raw: Option<&str>) -> Option<f64> {
    raw.and_then(|r| r.parse().ok())
}

/// A raw JSON string's content (escapes kept as is).
pub fn unquote(raw: &str) -> &str {
    if raw.len() >= 2 && raw.starts_with('"') && raw.ends_with('"') {
        &raw[1..raw.len() - 1]
    } else {
        ""
    }
}

/// s as a JSON string.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
