// Drives Starling with Kuzzle's official JavaScript SDK over WebSocket and
// HTTP: node kuzzle_sdk.js <port>. Exits non-zero on the first failure.
"use strict";
const assert = require("node:assert/strict");
const { Kuzzle, WebSocket, Http } = require("kuzzle-sdk");

const port = Number(process.argv[2]);
const credentials = { username: "sdk", password: "a long sdk password" };

// waitFor resolves once check(notifications) holds, or fails after 10s.
function waitFor(notifications, check, what) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${what} notification: ${JSON.stringify(notifications)}`)), 10000);
    const poll = () => {
      if (check(notifications)) {
        clearTimeout(timer);
        resolve();
        return;
      }
      notifications.wake = poll;
    };
    poll();
  });
}

async function run(name, protocol, realtime) {
  const kuzzle = new Kuzzle(protocol);
  kuzzle.on("networkError", (e) => console.error(`${name}: network error`, e));
  await kuzzle.connect();
  if (realtime) {
    await kuzzle.security.createUser("sdk", {
      content: { profileIds: ["default"] },
      credentials: { local: credentials },
    });
  }
  const jwt = await kuzzle.auth.login("local", credentials);
  assert.ok(jwt && kuzzle.jwt === jwt, `${name}: login gives a token`);
  const me = await kuzzle.auth.getCurrentUser();
  assert.equal(me._id, "sdk", `${name}: the token is used`);

  const index = `sdk-${name}`;
  await kuzzle.index.create(index);
  await kuzzle.collection.create(index, "items", { mappings: { properties: { name: { type: "keyword" } } } });
  assert.equal(await kuzzle.collection.exists(index, "items"), true);

  const notifications = [];
  let roomId;
  if (realtime) {
    roomId = await kuzzle.realtime.subscribe(index, "items", {}, (n) => {
      notifications.push(n);
      if (notifications.wake) notifications.wake();
    }, { scope: "all" });
    assert.ok(roomId, `${name}: subscribe gives a room id`);
  }

  const created = await kuzzle.document.create(index, "items", { name: "bike", price: 100 }, "bike", { refresh: "wait_for" });
  assert.equal(created._id, "bike");
  assert.equal(created._source.price, 100);
  const got = await kuzzle.document.get(index, "items", "bike");
  assert.equal(got._source.name, "bike");
  const found = await kuzzle.document.search(index, "items", { query: { match: { name: "bike" } } });
  assert.equal(found.total, 1, `${name}: search finds the document`);
  assert.equal(found.hits[0]._id, "bike");
  const updated = await kuzzle.document.update(index, "items", "bike", { price: 90 }, { source: true });
  assert.equal(updated._source.price, 90);
  await kuzzle.document.delete(index, "items", "bike");
  assert.equal(await kuzzle.document.exists(index, "items", "bike"), false);

  if (realtime) {
    await waitFor(notifications, (ns) => ns.some((n) => n.action === "create" && n.scope === "in"), "create");
    await waitFor(notifications, (ns) => ns.some((n) => n.action === "delete" && n.scope === "out"), "delete");
    const first = notifications.find((n) => n.action === "create");
    assert.equal(first.type, "document");
    assert.equal(first.result._id, "bike");
    assert.equal(first.index, index);
    await kuzzle.realtime.unsubscribe(roomId);
  }
  await kuzzle.auth.logout();
  assert.equal(kuzzle.jwt, null, `${name}: logout forgets the token`);
  kuzzle.disconnect();
  console.log(`${name}: ok`);
}

(async () => {
  await run("websocket", new WebSocket("127.0.0.1", { port }), true);
  await run("http", new Http("127.0.0.1", { port }), false);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
