package realtime

import "github.com/starlingmq/starling/internal/kerror"

// options are a subscription's scope and users arguments.
type options struct {
	scope, users string
}

// parseOptions validates scope (default "all") and users (default "none").
func parseOptions(scope string, hasScope bool, users string, hasUsers bool) (options, *kerror.Error) {
	o := options{scope: "all", users: "none"}
	if hasScope {
		o.scope = scope
	}
	if hasUsers {
		o.users = users
	}
	if !validOption(o.scope) {
		return o, kerror.New("core.realtime.invalid_scope")
	}
	if !validOption(o.users) {
		return o, kerror.New("core.realtime.invalid_users")
	}
	return o, nil
}

func validOption(v string) bool {
	return v == "all" || v == "in" || v == "out" || v == "none"
}

// channelName derives a channel's name from its room and options exactly as
// Kuzzle does: roomId, "-", a users digit, "1" (the cluster flag) and a
// scope digit ("none" as scope adds no digit; "out" and "none" users share
// "3").
func channelName(roomID string, o options) string {
	users := map[string]string{"all": "1", "in": "2", "out": "3", "none": "3"}[o.users]
	scope := map[string]string{"all": "1", "in": "2", "out": "3"}[o.scope]
	return roomID + "-" + users + "1" + scope
}

// matchesScope reports whether a channel receives a document notification
// of scope ("in" or "out").
func matchesScope(channelScope, scope string) bool {
	return channelScope == "all" || channelScope == scope
}

// matchesUsers reports whether a channel receives a user notification of
// kind ("in" or "out").
func matchesUsers(channelUsers, kind string) bool {
	return channelUsers == "all" || channelUsers == kind
}
