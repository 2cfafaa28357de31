// koncorde-bench.js measures koncorde 4.7.0 (npm, bench/node) on one
// workload file written by `go run ./bench/filters`:
//   {"filters": [...], "docs": [...], "maxMatches": N, "seconds": S, "passes": P}
// It prints one JSON line: registrations/s (median of P passes, each into
// a new engine), matches/s and heap bytes per filter. Run with
// --expose-gc so that memory is measured after collection.
"use strict";

const fs = require("fs");
const path = require("path");

const [file, modules] = process.argv.slice(2);
const { Koncorde } = require(path.join(modules, "koncorde"));
const w = JSON.parse(fs.readFileSync(file, "utf8"));

function heap() {
  if (global.gc) {
    global.gc();
    global.gc();
  }
  return process.memoryUsage().heapUsed;
}

// Registration runs w.passes times, each into a new engine after a
// collection: the median pass gives the rate, the last one the memory.
let k = null;
let before = 0;
let after = 0;
const passes = [];
let t0;
for (let pass = 0; pass < (w.passes || 1); pass++) {
  k = null;
  before = heap();
  k = new Koncorde({ maxConditions: 100 });
  t0 = process.hrtime.bigint();
  for (const f of w.filters) k.register(f);
  passes.push(Number(process.hrtime.bigint() - t0) / 1e9);
  after = heap();
}
passes.sort((a, b) => a - b);
const regSeconds = passes[Math.floor(passes.length / 2)];

let n = 0;
let hits = 0;
const deadline = Date.now() + w.seconds * 1000;
t0 = process.hrtime.bigint();
while (n < w.maxMatches && Date.now() < deadline) {
  for (let i = 0; i < 64 && n < w.maxMatches; i++, n++) {
    hits += k.test(w.docs[n % w.docs.length]).length;
  }
}
const matchSeconds = Number(process.hrtime.bigint() - t0) / 1e9;

process.stdout.write(JSON.stringify({
  registrationsPerSecond: w.filters.length / regSeconds,
  matchesPerSecond: n / matchSeconds,
  bytesPerFilter: (after - before) / w.filters.length,
  hits: hits / n,
}) + "\n");
