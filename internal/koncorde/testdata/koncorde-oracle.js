// koncorde-oracle.js drives the real koncorde (npm, bench/node) for
// Starling's differential test. One long-lived process: it reads one JSON
// request per line on stdin and writes one JSON answer per line on stdout.
//
// Request:  {"filters": [<filter>...], "docs": [<document>...], "maxConditions": N}
// Answer:   {"rejected": [<message or null per filter>],
//            "matches": [[<indexes of the filters matching doc 0>], ...]}
//
// Every request gets a fresh Koncorde instance; filters are registered in
// order on the default index and every document is tested against all of
// them. A filter whose normalize or store throws counts as rejected and
// is not registered.
"use strict";

const path = require("path");
const readline = require("readline");

const modules = process.argv[2] || path.join(__dirname, "..", "..", "..", "bench", "node", "node_modules");
const { Koncorde } = require(path.join(modules, "koncorde"));

function run(req) {
  const k = new Koncorde({ maxConditions: req.maxConditions || 0 });
  const rejected = [];
  const byId = new Map();
  req.filters.forEach((f, i) => {
    try {
      // A filter that fails in store() stays half-stored in koncorde:
      // try it on a scratch instance first, to keep the real one clean.
      new Koncorde({ maxConditions: req.maxConditions || 0 }).register(f);
      const id = k.register(f);
      rejected.push(null);
      if (!byId.has(id)) byId.set(id, []);
      byId.get(id).push(i);
    } catch (e) {
      rejected.push(String(e && e.message ? e.message : e));
    }
  });
  const matches = req.docs.map((d) => {
    const out = [];
    for (const id of k.test(d)) out.push(...byId.get(id));
    return out.sort((a, b) => a - b);
  });
  return { rejected, matches };
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on("line", (line) => {
  if (!line.trim()) return;
  let answer;
  try {
    answer = run(JSON.parse(line));
  } catch (e) {
    answer = { fatal: String(e && e.stack ? e.stack : e) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
});
