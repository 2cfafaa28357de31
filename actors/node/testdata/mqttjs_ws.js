// Drives Starling's MQTT over WebSocket listener with MQTT.js, the browser
// MQTT client: node mqttjs_ws.js <ws url>. For MQTT 3.1.1 and 5 it sends
// Kuzzle requests on Kuzzle/request and checks the answers on
// Kuzzle/response, then subscribes to a realtime channel and checks a
// notification. Exits non-zero on the first failure.
"use strict";
const assert = require("node:assert/strict");
const mqtt = require("mqtt");

const url = process.argv[2];

// answers collects every message on topic, and lets a test wait for one.
function inbox(client) {
  const waiting = [];
  const got = [];
  client.on("message", (topic, payload) => {
    got.push({ topic, body: JSON.parse(payload.toString()) });
    for (const w of waiting.splice(0)) w();
  });
  return (check, what) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what}: ${JSON.stringify(got)}`)), 10000);
      const poll = () => {
        const i = got.findIndex(check);
        if (i >= 0) {
          clearTimeout(timer);
          resolve(got.splice(i, 1)[0]);
          return;
        }
        waiting.push(poll);
      };
      poll();
    });
}

async function run(protocolVersion) {
  const name = `MQTT.js v${protocolVersion}`;
  const client = await mqtt.connectAsync(url, { protocolVersion, reconnectPeriod: 0, connectTimeout: 10000 });
  const next = inbox(client);
  await client.subscribeAsync("Kuzzle/response");
  const request = async (req) => {
    await client.publishAsync("Kuzzle/request", JSON.stringify(req));
    const m = await next((m) => m.topic === "Kuzzle/response" && m.body.requestId === req.requestId, `answer to ${req.requestId}`);
    return m.body;
  };

  const before = Date.now();
  const now = await request({ controller: "server", action: "now", requestId: `now-${protocolVersion}` });
  assert.equal(now.status, 200, `${name}: server:now status`);
  assert.ok(now.result.now >= before && now.result.now <= Date.now(), `${name}: server:now is a current timestamp`);

  // Several requests at once: each answer is matched by its requestId.
  const many = await Promise.all(
    [1, 2, 3, 4, 5].map((i) => request({ controller: "server", action: "now", requestId: `many-${protocolVersion}-${i}` })),
  );
  assert.deepEqual(many.map((r) => r.status), [200, 200, 200, 200, 200], `${name}: concurrent requests`);

  const missing = await request({ controller: "server", action: "nope", requestId: `err-${protocolVersion}` });
  assert.equal(missing.status, 404, `${name}: unknown action status`);
  assert.equal(missing.error.id, "api.process.action_not_found", `${name}: unknown action error id`);

  const sub = await request({
    controller: "realtime", action: "subscribe", index: "i", collection: "c",
    body: { equals: { from: name } }, requestId: `sub-${protocolVersion}`,
  });
  assert.equal(sub.status, 200, `${name}: realtime:subscribe`);
  await client.subscribeAsync(sub.result.channel);
  const pub = await request({
    controller: "realtime", action: "publish", index: "i", collection: "c",
    body: { from: name }, requestId: `pub-${protocolVersion}`,
  });
  assert.equal(pub.status, 200, `${name}: realtime:publish`);
  const n = await next((m) => m.topic === sub.result.channel, "notification");
  assert.equal(n.body.type, "document", `${name}: notification type`);
  assert.equal(n.body.action, "publish", `${name}: notification action`);
  assert.equal(n.body.result._source.from, name, `${name}: notification source`);

  await client.endAsync();
  console.log(`${name}: ok`);
}

(async () => {
  await run(4);
  await run(5);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
