//! starling.rs — Rust SDK for Starling Wasm guests, ABI 3 (see ../README.md).
//!
//! Std only, no crates. A guest includes this file as a module and names its
//! manifest and its functions with the `starling_guest!` macro:
//!
//! ```ignore
//! #[path = "../../guests/rust/starling.rs"]
//! mod starling;
//! use starling::{Request, Error};
//! starling_guest!(controller: r#"{"controller":"hello","actions":["hi"]}"#, handle);
//! fn handle(req: &Request) -> Result<String, Error> { Ok("\"hi\"".into()) }
//! ```
//!
//! or, for several entry points (any of controller, filters, pipe, hook,
//! init, tick):
//!
//! ```ignore
//! starling_guest!(manifest: MANIFEST, controller: handle, pipe: on_pipe, hook: on_hook, init: on_init);
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
    #[link_name = "config"]
    fn host_config() -> i32;
    #[link_name = "state_get"]
    fn host_state_get(k: *const u8, klen: i32) -> i32;
    #[link_name = "state_set"]
    fn host_state_set(k: *const u8, klen: i32, v: *const u8, vlen: i32) -> i32;
    #[link_name = "state_delete"]
    fn host_state_delete(k: *const u8, klen: i32) -> i32;
    #[link_name = "state_incr"]
    fn host_state_incr(k: *const u8, klen: i32, delta: i64, out: *mut i64) -> i32;
    #[link_name = "http_request"]
    fn host_http_request(ptr: *const u8, len: i32) -> i32;
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
    /// A catalogued Kuzzle error (e.g. "api.assert.invalid_argument") with
    /// its message.
    pub fn kuzzle(id: &str, message: &str) -> Error {
        Error { message: message.to_string(), id: Some(id.to_string()) }
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
    let n = unsafe { host_call(request.as_ptr(), request.len() as i32) };
    String::from_utf8_lossy(&answer(n)).into_owned()
}

/// Copies the host's last answer, n bytes long.
fn answer(n: i32) -> Vec<u8> {
    let n = n.max(0) as usize;
    let mut out = vec![0u8; n + 1];
    unsafe { host_call_result(out.as_mut_ptr()) };
    out.truncate(n);
    out
}

/// The module's configuration JSON ("null" when none).
pub fn config() -> String {
    let n = unsafe { host_config() };
    String::from_utf8_lossy(&answer(n)).into_owned()
}

/// A negative status of the state functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateError {
    /// Key or value too large (-2).
    TooLarge,
    /// The module's quota would be exceeded (-3).
    Quota,
    /// state_incr on a value that is no decimal integer (-4).
    NotInteger,
    /// The store failed (-5), or an unknown status.
    Storage,
}

fn state_error(status: i32) -> StateError {
    match status {
        -2 => StateError::TooLarge,
        -3 => StateError::Quota,
        -4 => StateError::NotInteger,
        _ => StateError::Storage,
    }
}

/// The value at key, None when absent.
pub fn state_get(key: &str) -> Result<Option<Vec<u8>>, StateError> {
    match unsafe { host_state_get(key.as_ptr(), key.len() as i32) } {
        -1 => Ok(None),
        n if n < 0 => Err(state_error(n)),
        n => Ok(Some(answer(n))),
    }
}

/// Stores value at key.
pub fn state_set(key: &str, value: &[u8]) -> Result<(), StateError> {
    match unsafe { host_state_set(key.as_ptr(), key.len() as i32, value.as_ptr(), value.len() as i32) } {
        s if s < 0 => Err(state_error(s)),
        _ => Ok(()),
    }
}

/// Deletes the value at key; true when there was one.
pub fn state_delete(key: &str) -> Result<bool, StateError> {
    match unsafe { host_state_delete(key.as_ptr(), key.len() as i32) } {
        s if s < 0 => Err(state_error(s)),
        s => Ok(s == 1),
    }
}

/// Adds delta to the integer at key (absent: 0) and returns the result.
pub fn state_incr(key: &str, delta: i64) -> Result<i64, StateError> {
    let mut out: i64 = 0;
    match unsafe { host_state_incr(key.as_ptr(), key.len() as i32, delta, &mut out) } {
        s if s < 0 => Err(state_error(s)),
        _ => Ok(out),
    }
}

/// Runs an outbound HTTP request ({"method", "url", "headers", "body"}) and
/// returns the answer JSON ({"status", "headers", "body"} or {"error"}).
pub fn http_request(request: &str) -> String {
    let n = unsafe { host_http_request(request.as_ptr(), request.len() as i32) };
    String::from_utf8_lossy(&answer(n)).into_owned()
}

/// What a pipe or a hook receives.
pub struct Event<'a> {
    pub json: &'a str,
}

impl<'a> Event<'a> {
    /// The event's name, e.g. "document:beforeCreate".
    pub fn name(&self) -> &'a str {
        unquote(get(self.json, "event").unwrap_or(""))
    }
    /// The request the event is about.
    pub fn request(&self) -> Request<'a> {
        Request { json: get(self.json, "request").unwrap_or("{}") }
    }
    /// The raw result (after and success events).
    pub fn result(&self) -> Option<&'a str> {
        get(self.json, "result")
    }
    /// The raw error object (error events).
    pub fn error(&self) -> Option<&'a str> {
        get(self.json, "error")
    }
}

/// A pipe's answer replacing the request's body (before events).
pub fn change_body(body: &str) -> String {
    format!("{{\"request\":{{\"body\":{}}}}}", body)
}

/// A pipe's answer replacing the result (after events).
pub fn change_result(result: &str) -> String {
    format!("{{\"result\":{}}}", result)
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

fn answer_of(res: Result<String, Error>) -> i64 {
    match res {
        Ok(s) => pack(s.as_bytes(), false),
        Err(e) => pack(e.json().as_bytes(), true),
    }
}

#[doc(hidden)]
pub fn pipe(len: i32, f: fn(&Event) -> Result<String, Error>) -> i64 {
    answer_of(with_input(len, |json| f(&Event { json })))
}

#[doc(hidden)]
pub fn hook(len: i32, f: fn(&Event) -> Result<(), Error>) -> i64 {
    answer_of(with_input(len, |json| f(&Event { json }).map(|_| String::new())))
}

#[doc(hidden)]
pub fn init(len: i32, f: fn(&str) -> Result<(), Error>) -> i64 {
    answer_of(with_input(len, |json| f(get(json, "config").unwrap_or("null")).map(|_| String::new())))
}

#[doc(hidden)]
pub fn tick(len: i32, f: fn(i64) -> Result<(), Error>) -> i64 {
    let now = with_input(len, |json| num(get(json, "now")).unwrap_or(0.0) as i64);
    answer_of(f(now).map(|_| String::new()))
}

#[doc(hidden)]
pub fn filter(len: i32, f: fn(&str, &str, &str) -> bool) -> i32 {
    with_input(len, |json| {
        let name = unquote(get(json, "filter").unwrap_or(""));
        f(name, get(json, "args").unwrap_or("{}"), get(json, "document").unwrap_or("{}")) as i32
    })
}

/// Defines the ABI exports: `starling_guest!(controller: MANIFEST, handler)`,
/// `starling_guest!(filters: MANIFEST, test)`, or
/// `starling_guest!(manifest: MANIFEST, KIND: function, ...)` with KIND among
/// controller (`fn(&Request) -> Result<String, Error>`), filters
/// (`fn(&str, &str, &str) -> bool`), pipe (`fn(&Event) -> Result<String,
/// Error>`, an empty string changing nothing), hook (`fn(&Event) ->
/// Result<(), Error>`), init (`fn(config: &str) -> Result<(), Error>`) and
/// tick (`fn(now: i64) -> Result<(), Error>`).
///
/// The ABI version reported is 3 (the host functions of ABI 3 may be
/// called from any entry point).
#[macro_export]
macro_rules! starling_guest {
    (@entry controller $f:path) => {
        #[no_mangle]
        pub extern "C" fn starling_handle(_ptr: i32, len: i32) -> i64 { starling::handle(len, $f) }
    };
    (@entry filters $f:path) => {
        #[no_mangle]
        pub extern "C" fn starling_filter(_ptr: i32, len: i32) -> i32 { starling::filter(len, $f) }
    };
    (@entry pipe $f:path) => {
        #[no_mangle]
        pub extern "C" fn starling_pipe(_ptr: i32, len: i32) -> i64 { starling::pipe(len, $f) }
    };
    (@entry hook $f:path) => {
        #[no_mangle]
        pub extern "C" fn starling_hook(_ptr: i32, len: i32) -> i64 { starling::hook(len, $f) }
    };
    (@entry init $f:path) => {
        #[no_mangle]
        pub extern "C" fn starling_init(_ptr: i32, len: i32) -> i64 { starling::init(len, $f) }
    };
    (@entry tick $f:path) => {
        #[no_mangle]
        pub extern "C" fn starling_tick(_ptr: i32, len: i32) -> i64 { starling::tick(len, $f) }
    };
    (manifest: $manifest:expr $(, $kind:ident : $f:path)* $(,)?) => {
        starling_guest!(@common $manifest);
        $(starling_guest!(@entry $kind $f);)*
    };
    (@common $manifest:expr) => {
        #[no_mangle]
        pub extern "C" fn starling_abi_version() -> i32 { 3 }
        #[no_mangle]
        pub extern "C" fn starling_alloc(len: i32) -> i32 { starling::alloc(len) }
        #[no_mangle]
        pub extern "C" fn starling_manifest() -> i64 { starling::pack($manifest.as_bytes(), false) }
    };
    (controller: $manifest:expr, $handler:path) => {
        starling_guest!(manifest: $manifest, controller: $handler);
    };
    (filters: $manifest:expr, $test:path) => {
        starling_guest!(manifest: $manifest, filters: $test);
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
