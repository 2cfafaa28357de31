// aedes-broker.js runs an aedes 0.51.3 broker (npm, bench/node) on a
// loopback port for the load harness:
//   node aedes-broker.js NODE_MODULES PORT
// PORT 0 picks a free port. It prints "listening 127.0.0.1:PORT" on stdout
// once it accepts clients, and closes on SIGTERM or SIGINT.
"use strict";

const net = require("net");
const path = require("path");

const [modules, port] = process.argv.slice(2);
const aedes = require(path.resolve(modules, "aedes"))();
const server = net.createServer(aedes.handle);

server.listen(Number(port || 0), "127.0.0.1", () => {
  const a = server.address();
  process.stdout.write(`listening ${a.address}:${a.port}\n`);
});

function stop() {
  server.close();
  aedes.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
