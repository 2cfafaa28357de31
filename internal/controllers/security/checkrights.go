package security

import (
	"context"
	"strconv"
	"strings"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/security/repository"
	"github.com/starlingmq/starling/internal/store"
)

// checkedRequest is the request checkRights' body describes.
type checkedRequest struct {
	controller, action, index, collection string
	targets                               []checkedTarget
}

// checkedTarget is one of a request's targets: an index and collections.
type checkedTarget struct {
	Index       string   `json:"index"`
	Collections []string `json:"collections"`
}

// checkRights answers {allowed}: whether the user userId may run the
// request the body describes (controller and action strings, index and
// collection, targets), as Kuzzle's User.isActionAllowed.
func (c *controller) checkRights(ctx context.Context, req *api.Request) (any, error) {
	userID, ok, kerr := req.String("userId")
	if kerr != nil {
		return nil, kerr
	}
	if !ok {
		return nil, kerror.New("api.assert.missing_argument", "userId")
	}
	if _, kerr := body(req); kerr != nil {
		return nil, kerr
	}
	checked, kerr := parseChecked(bodyFields(req))
	if kerr != nil {
		return nil, kerr
	}
	p, err := c.Security.Principal(ctx, userID)
	if err != nil {
		return nil, err
	}
	return map[string]bool{"allowed": allowed(p, checked)}, nil
}

// parseChecked reads the described request: controller and action must
// be strings (missing_argument otherwise).
func parseChecked(fields map[string]jsonx.RawMessage) (checkedRequest, *kerror.Error) {
	var r checkedRequest
	var ok bool
	if r.controller, ok = jsonString(fields["controller"]); !ok {
		return r, kerror.New("api.assert.missing_argument", "body.controller")
	}
	if r.action, ok = jsonString(fields["action"]); !ok {
		return r, kerror.New("api.assert.missing_argument", "body.action")
	}
	r.index, _ = jsonString(fields["index"])
	r.collection, _ = jsonString(fields["collection"])
	if raw := fields["targets"]; truthy(raw) {
		if raw[0] != '[' || jsonx.Unmarshal(raw, &r.targets) != nil {
			return r, kerror.New("api.assert.invalid_type", "targets", "array")
		}
	}
	return r, nil
}

// jsonString decodes a raw JSON string.
func jsonString(raw jsonx.RawMessage) (string, bool) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	return s, jsonx.Unmarshal(raw, &s) == nil
}

// allowed is User.isActionAllowed: without targets, one profile must
// allow the request; with targets, every collection of every target
// (those naming an index and collections) must be allowed, wildcards
// never being.
func allowed(p *repository.Principal, r checkedRequest) bool {
	if len(p.User.ProfileIDs) == 0 {
		return false
	}
	if len(r.targets) == 0 {
		return p.Allows(r.controller, r.action, r.index, r.collection)
	}
	for _, t := range r.targets {
		if t.Index == "" || t.Collections == nil {
			continue
		}
		if strings.Contains(t.Index, "*") {
			return false
		}
		for _, collection := range t.Collections {
			if strings.Contains(collection, "*") || !p.Allows(r.controller, r.action, t.Index, collection) {
				return false
			}
		}
	}
	return true
}

// scroller is scrollUsers or scrollProfiles: the next page of a scrolled
// search of collection, {hits, scrollId, total}; extend changes each
// hit's source (nil: as stored). A scroll of another collection is
// services.storage.unknown_scroll_id.
func (c *controller) scroller(collection string, extend func(jsonx.RawMessage) (jsonx.RawMessage, error)) api.Action {
	return func(ctx context.Context, req *api.Request) (any, error) {
		id, ok, kerr := req.String("scrollId")
		if kerr != nil {
			return nil, kerr
		}
		if !ok {
			return nil, kerror.New("api.assert.missing_argument", "scrollId")
		}
		ttl, err := c.scrollArg(req)
		if err != nil {
			return nil, err
		}
		res, err := c.Store.Scroll(ctx, id, ttl)
		if err != nil {
			return nil, err
		}
		if res.Index != repository.Index || res.Collection != collection {
			return nil, kerror.New("services.storage.unknown_scroll_id")
		}
		return scrollPage(id, res, extend)
	}
}

// scrollPage formats a scrolled page as Kuzzle's formatSearchResults.
func scrollPage(id string, res *store.SearchResult, extend func(jsonx.RawMessage) (jsonx.RawMessage, error)) (any, error) {
	hits := make([]jsonx.RawMessage, 0, len(res.Hits))
	for _, hit := range res.Hits {
		source := hit.Source
		if extend != nil {
			var err error
			if source, err = extend(source); err != nil {
				return nil, err
			}
		}
		hits = append(hits, serialized(hit.ID, source))
	}
	if res.ScrollID != "" {
		id = res.ScrollID
	}
	out := hitsResult(hits)
	out = jsonx.AppendString(append(out[:len(out)-1], `,"scrollId":`...), id)
	out = strconv.AppendInt(append(out, `,"total":`...), int64(res.Total), 10)
	return jsonx.RawMessage(append(out, '}')), nil
}
