// empty.ts is the smallest AssemblyScript controller: every action returns
// null without reading the request, for the host overhead benchmark.
import { controller, Request, Result, ok } from "../../../guests/assemblyscript/assembly/starling";
export {
  starling_abi_version, starling_alloc, starling_manifest, starling_handle, starling_filter,
} from "../../../guests/assemblyscript/assembly/starling";

controller(`{"controller":"bench","actions":["empty"]}`, handle);

function handle(req: Request): Result {
  return ok("null");
}
