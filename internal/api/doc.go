// Package api owns Kuzzle's wire model for API calls: the Request parsed from
// a JSON payload, the Response encoded back, and the Controller type that
// groups the actions a request can name.
//
// Parsing follows Kuzzle's request input rules: controller, action, jwt and
// requestId must be strings, volatile an object, body an object or an array;
// every top-level key but jwt, volatile, body, controller and action is an
// action argument. Responses carry Kuzzle's fields in Kuzzle's order.
//
// api imports internal/kerror and internal/jsonx only: no actor, no MQTT.
package api
