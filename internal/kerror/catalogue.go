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
	Partial
	MultipleErrors
)

// Status returns the HTTP-like status Kuzzle gives errors of class c.
func (c Class) Status() int {
	switch c {
	case BadRequest, MultipleErrors:
		return 400
	case Partial:
		return 206
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
