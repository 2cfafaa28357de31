// Package starling is the Go SDK for Starling Wasm guests, ABI 3 (see
// guests/README.md). A guest registers its functions in an init function:
//
//	func init() {
//		starling.Controller("hello", []string{"hi"}, func(req *starling.Request) (any, error) {
//			return "hi", nil
//		})
//	}
//	func main() {}
//
// and is built with GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared:
// a reactor whose exports the host calls directly, with no runtime start-up
// per call. Besides Controller: Filters, Pipes, Hooks, Init and Tick
// register the other entry points; Call, Config, State* and HTTP reach the
// host.
//
// A call costs what the guest reads: the SDK keeps the input's bytes and
// decodes the request's small strings only; Body, Volatile and arguments
// stay raw JSON until the handler decodes them (Request.Arg,
// Request.DecodeBody). The byte slices a handler receives alias the input
// buffer, which the next call overwrites: copy what must outlive the call.
//
// Built for another platform than wasip1, the package has its JSON helpers
// only (Field, String, Float, Marshal), so that they are tested and fuzzed
// natively.
//
// starling imports nothing of Starling's server: a guest links its SDK only.
package starling
