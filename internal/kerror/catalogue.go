package kerror

// Class is a Kuzzle error class; it decides the status of its errors.
type Class uint8

// The error classes of Kuzzle and their statuses.
const (
	BadRequest Class = iota
	Forbidden
	GatewayTimeout
	Internal
	NotFound
	PluginImplementation
	Precondition
	ServiceUnavailable
	SizeLimit
	TooManyRequests
	Unauthorized
	ExternalService
)

// Status returns the HTTP-like status Kuzzle gives errors of class c.
func (c Class) Status() int {
	switch c {
	case BadRequest:
		return 400
	case Unauthorized:
		return 401
	case Forbidden:
		return 403
	case NotFound:
		return 404
	case Precondition:
		return 412
	case SizeLimit:
		return 413
	case TooManyRequests:
		return 429
	case ServiceUnavailable:
		return 503
	case GatewayTimeout:
		return 504
	default:
		return 500
	}
}

// definition is one catalogue entry.
type definition struct {
	domain, subdomain, err uint32
	class                  Class
	message                string
}

// catalogue holds the Kuzzle errors Starling can raise, by id.
var catalogue = map[string]definition{
	"core.fatal.unexpected_error":    {0, 0, 1, Internal, "Caught an unexpected error: %s."},
	"core.fatal.service_unavailable": {0, 0, 2, ExternalService, "Service unavailable: %s."},

	"core.realtime.room_not_found": {0, 1, 1, NotFound, `The room "%s" doesn't exist`},
	"core.realtime.invalid_rooms":  {0, 1, 2, BadRequest, `The "rooms" attribute must be an array.`},
	"core.realtime.invalid_state":  {0, 1, 3, BadRequest, `Invalid value for the "state" parameter (allowed: "all", "done", "pending").`},
	"core.realtime.invalid_scope":  {0, 1, 4, BadRequest, `Invalid value for the "scope" parameter (allowed: "all", "in", "out", "none").`},
	"core.realtime.invalid_users":  {0, 1, 5, BadRequest, `Invalid value for the "users" parameter (allowed: "all", "in", "out", "none").`},
	"core.realtime.too_many_terms": {0, 1, 6, SizeLimit, "Unable to subscribe: maximum number of terms exceeded (max %s, received %s)."},
	"core.realtime.too_many_rooms": {0, 1, 7, SizeLimit, "Unable to subscribe: maximum number of unique rooms reached."},
	"core.realtime.not_subscribed": {0, 1, 8, Precondition, `User "%s" has not subscribed to "%s".`},

	"core.configuration.invalid_type": {0, 3, 1, Internal, `Invalid type for the configuration parameter "%s" (expected: %s)`},
	"core.configuration.out_of_range": {0, 3, 2, Internal, `The configuration value set for "%s" is outside the allowed range (allowed: %s)`},
	"core.configuration.cannot_parse": {0, 3, 3, Internal, "Unable to read kuzzlerc configuration file: %s"},
	"core.configuration.incompatible": {0, 3, 4, Internal, "Incompatible configuration: %s"},

	"core.sandbox.timeout": {0, 4, 2, GatewayTimeout, "Timeout. The sandbox did not respond within %sms."},

	"api.assert.invalid_type":                {2, 1, 1, BadRequest, `Wrong type for argument "%s" (expected: %s)`},
	"api.assert.invalid_argument":            {2, 1, 2, BadRequest, `Invalid argument "%s". Expected: %s`},
	"api.assert.missing_argument":            {2, 1, 3, BadRequest, `Missing argument "%s".`},
	"api.assert.empty_argument":              {2, 1, 4, BadRequest, `The argument "%s" is empty.`},
	"api.assert.mutually_exclusive":          {2, 1, 5, BadRequest, `Arguments "%s" and "%s" are mutually exclusive`},
	"api.assert.too_many_arguments":          {2, 1, 6, BadRequest, `Argument "%s" contains too many values`},
	"api.assert.unexpected_argument":         {2, 1, 7, BadRequest, `Unexpected argument "%s" (accepted arguments: %s)`},
	"api.assert.body_required":               {2, 1, 8, BadRequest, "The request must specify a body."},
	"api.assert.invalid_id":                  {2, 1, 10, BadRequest, `Invalid "_id" value: cannot start with an underscore`},
	"api.assert.forbidden_argument":          {2, 1, 11, BadRequest, `The argument "%s" is not allowed by this API action.`},
	"api.assert.koncorde_unknown_keyword":    {2, 1, 12, BadRequest, `The keyword "%s" is not part of Koncorde filters DSL keywords. Are you trying to use an Elasticsearch query?`},
	"api.assert.koncorde_restricted_keyword": {2, 1, 13, BadRequest, `The %s "%s" of Koncorde DSL is not supported for search queries.`},
	"api.assert.koncorde_dsl_error":          {2, 1, 14, BadRequest, "%s"},
	"api.assert.unsupported_protocol":        {2, 1, 16, Internal, `The protocol "%s" is not supported by the API action "%s".`},

	"api.process.action_locked":        {2, 2, 1, Precondition, `Cannot execute action "%s": already executing.`},
	"api.process.overloaded":           {2, 2, 2, ServiceUnavailable, "Request discarded: Kuzzle Server is temporarily overloaded."},
	"api.process.connection_dropped":   {2, 2, 3, BadRequest, "Client connection dropped"},
	"api.process.controller_not_found": {2, 2, 4, NotFound, `API controller "%s" not found.`},
	"api.process.action_not_found":     {2, 2, 5, NotFound, `API action "%s":"%s" not found`},
	"api.process.shutting_down":        {2, 2, 7, ServiceUnavailable, "Rejected: this node is shutting down."},
	"api.process.too_many_requests":    {2, 2, 8, TooManyRequests, "Rejected: requests rate limit exceeded for this user."},

	"network.mqtt.unexpected_error":       {3, 2, 1, BadRequest, "Caught an unexpected MQTT error: %s"},
	"network.entrypoint.shutting_down":    {3, 4, 3, ServiceUnavailable, "Rejected: instance is shutting down"},
	"network.entrypoint.unexpected_event": {3, 4, 1, Internal, "Unexpected event received: %s."},

	"plugin.runtime.unexpected_error":           {4, 2, 2, PluginImplementation, "Caught an unexpected plugin error: %s"},
	"plugin.controller.unserializable_response": {4, 4, 8, PluginImplementation, "Unable to serialize response. Are you trying to return the request?"},
	"plugin.controller.invalid_action_response": {4, 4, 9, PluginImplementation, `Unexpected return value from action "%s:%s": expected a Promise`},

	"security.token.invalid":       {7, 1, 1, Unauthorized, "Invalid token."},
	"security.token.expired":       {7, 1, 6, Unauthorized, "Token expired"},
	"security.rights.unauthorized": {7, 3, 1, Unauthorized, `Unauthorized: authentication required to execute the action "%s:%s".`},
	"security.rights.forbidden":    {7, 3, 2, Forbidden, `Insufficient permissions to execute the action "%s:%s" (User "%s").`},
}
