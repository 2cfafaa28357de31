// Subscribes to paid orders on one node over MQTT and prints every
// notification, until Ctrl-C. The connection that subscribed must stay
// open: the room lives as long as a subscriber is in it.
//
//   npm install mqtt@5 && node subscribe.js 1883     (node 1's MQTT port)
const mqtt = require('mqtt');

const port = process.argv[2] || '1883';
const client = mqtt.connect(`mqtt://localhost:${port}`);

client.on('connect', () => {
  client.subscribe('Kuzzle/response', () => {
    client.publish('Kuzzle/request', JSON.stringify({
      controller: 'realtime', action: 'subscribe', requestId: 'paid-orders',
      index: 'shop', collection: 'orders', body: { equals: { status: 'paid' } },
    }));
  });
});

client.on('message', (topic, payload) => {
  const message = JSON.parse(payload);
  if (topic === 'Kuzzle/response' && message.requestId === 'paid-orders') {
    if (message.error) throw new Error(message.error.message);
    // Notifications come on the channel's topic.
    client.subscribe(message.result.channel);
    console.log(`listening on ${message.result.channel}`);
  } else if (topic !== 'Kuzzle/response') {
    console.log(message.action, message.scope, JSON.stringify(message.result._source));
  }
});
