package security

import (
	"context"
	"errors"
	"slices"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	model "github.com/starlingmq/starling/internal/security"
)

// strategyArg is Kuzzle's request.getString("strategy") then
// assertIsStrategyRegistered: missing_argument, invalid_type, or
// security.credentials.unknown_strategy.
func (c *controller) strategyArg(req *api.Request) (string, error) {
	strategy, ok, kerr := req.String("strategy")
	if kerr != nil {
		return "", kerr
	}
	if !ok {
		return "", kerror.New("api.assert.missing_argument", "strategy")
	}
	if !slices.Contains(c.Credentials.Strategies(), strategy) {
		return "", kerror.New("security.credentials.unknown_strategy", strategy)
	}
	return strategy, nil
}

// idAndStrategy reads _id then strategy, in Kuzzle's order.
func (c *controller) idAndStrategy(req *api.Request) (string, string, error) {
	id, kerr := req.DocumentID()
	if kerr != nil {
		return "", "", kerr
	}
	strategy, err := c.strategyArg(req)
	return id, strategy, err
}

// strategyError is what a strategy's error becomes: a Kuzzle error as it
// is, another one plugin.runtime.unexpected_error.
func strategyError(err error) error {
	var kerr *kerror.Error
	if err == nil || errors.As(err, &kerr) {
		return err
	}
	return kerror.New("plugin.runtime.unexpected_error", err.Error())
}

// orEmpty is a strategy's answer, {} for a strategy without the method.
func orEmpty(v any) any {
	if v == nil {
		return map[string]any{}
	}
	return v
}

// credentialsCreate is createCredentials: for an existing user, validate
// then create the body's credentials of strategy; it answers what the
// strategy tells of them.
func (c *controller) credentialsCreate(ctx context.Context, req *api.Request) (any, error) {
	return c.writeCredentials(ctx, req, func(strategy, id string, raw jsonx.RawMessage) (any, error) {
		if err := c.Credentials.Validate(ctx, strategy, id, raw); err != nil {
			return nil, strategyError(err)
		}
		if err := c.Credentials.Create(ctx, strategy, id, raw); err != nil {
			return nil, strategyError(err)
		}
		info, err := c.Credentials.GetInfo(ctx, strategy, id)
		return orEmpty(info), strategyError(err)
	})
}

// credentialsUpdate is updateCredentials: validate (as an update) then
// change an existing user's credentials of strategy.
func (c *controller) credentialsUpdate(ctx context.Context, req *api.Request) (any, error) {
	return c.writeCredentials(ctx, req, func(strategy, id string, raw jsonx.RawMessage) (any, error) {
		info, err := c.Credentials.Update(ctx, strategy, id, raw)
		return orEmpty(info), strategyError(err)
	})
}

// writeCredentials reads _id, the body and strategy, checks that the user
// exists, and runs write.
func (c *controller) writeCredentials(ctx context.Context, req *api.Request, write func(strategy, id string, raw jsonx.RawMessage) (any, error)) (any, error) {
	id, kerr := req.DocumentID()
	if kerr != nil {
		return nil, kerr
	}
	raw, kerr := body(req)
	if kerr != nil {
		return nil, kerr
	}
	strategy, err := c.strategyArg(req)
	if err != nil {
		return nil, err
	}
	if _, err := c.Security.User(ctx, id); err != nil {
		return nil, err
	}
	c.audit(ctx, req, "user", id)
	return write(strategy, id, raw)
}

// credentialsDelete is deleteCredentials: {acknowledged: true}.
func (c *controller) credentialsDelete(ctx context.Context, req *api.Request) (any, error) {
	id, strategy, err := c.idAndStrategy(req)
	if err != nil {
		return nil, err
	}
	if err := c.Credentials.Delete(ctx, strategy, id); err != nil {
		return nil, strategyError(err)
	}
	c.audit(ctx, req, "user", id)
	return map[string]bool{"acknowledged": true}, nil
}

// credentialsGet is getCredentials: the strategy's getInfo of the user.
func (c *controller) credentialsGet(ctx context.Context, req *api.Request) (any, error) {
	id, strategy, err := c.idAndStrategy(req)
	if err != nil {
		return nil, err
	}
	info, err := c.Credentials.GetInfo(ctx, strategy, id)
	if err != nil {
		return nil, strategyError(err)
	}
	return orEmpty(info), nil
}

// credentialsGetByID is getCredentialsById: the strategy's getById of
// its own id (a username for local).
func (c *controller) credentialsGetByID(ctx context.Context, req *api.Request) (any, error) {
	id, strategy, err := c.idAndStrategy(req)
	if err != nil {
		return nil, err
	}
	info, err := c.Credentials.GetByID(ctx, strategy, id)
	if err != nil {
		return nil, strategyError(err)
	}
	return orEmpty(info), nil
}

// credentialsHas is hasCredentials: a boolean.
func (c *controller) credentialsHas(ctx context.Context, req *api.Request) (any, error) {
	id, strategy, err := c.idAndStrategy(req)
	if err != nil {
		return nil, err
	}
	exists, err := c.Credentials.Exists(ctx, strategy, id)
	if err != nil {
		return nil, strategyError(err)
	}
	return exists, nil
}

// credentialsValidate is validateCredentials: true when the body's
// credentials could be created (for _id when given).
func (c *controller) credentialsValidate(ctx context.Context, req *api.Request) (any, error) {
	strategy, err := c.strategyArg(req)
	if err != nil {
		return nil, err
	}
	raw, kerr := body(req)
	if kerr != nil {
		return nil, kerr
	}
	id := ""
	if truthy(req.Arg("_id")) {
		if id, kerr = req.DocumentID(); kerr != nil {
			return nil, kerr
		}
	}
	if err := c.Credentials.Validate(ctx, strategy, id, raw); err != nil {
		return nil, strategyError(err)
	}
	return true, nil
}

// searchUsersByCredentials runs the strategy's search with the body:
// {hits, total}. Koncorde queries are not translated (the strategies
// read Elasticsearch ones): with lang koncorde, only an empty query is
// accepted (Kuzzle translates it to {}).
func (c *controller) searchUsersByCredentials(ctx context.Context, req *api.Request) (any, error) {
	strategy, ok, kerr := req.String("strategy")
	if kerr != nil {
		return nil, kerr
	}
	if !ok {
		return nil, kerror.New("api.assert.missing_argument", "strategy")
	}
	lang, kerr := req.Lang()
	if kerr != nil {
		return nil, kerr
	}
	from, size, err := c.credentialsPage(req)
	if err != nil {
		return nil, err
	}
	if _, err := c.strategyArg(req); err != nil {
		return nil, err
	}
	if query := bodyFields(req)["query"]; lang == "koncorde" && !emptyKeys(query) {
		return nil, kerror.New("api.assert.invalid_argument", "lang", `"elasticsearch" (the strategies search with Elasticsearch queries)`)
	}
	if size-from > c.Config.FetchCount {
		return nil, kerror.New("services.storage.get_limit_exceeded")
	}
	res, err := c.Credentials.Search(ctx, strategy, searchBody(req), from, size)
	if err != nil {
		return nil, strategyError(err)
	}
	if res == nil {
		return nil, kerror.New("plugin.strategy.missing_optional_method", "search", strategy)
	}
	return res, nil
}

// credentialsPage is Kuzzle's getSearchParams for a strategy search: from
// (default 0), size (default the fetch limit), scroll, body.query.
func (c *controller) credentialsPage(req *api.Request) (int, int, error) {
	size, kerr := req.Integer("size", api.Int(c.Config.FetchCount))
	if kerr != nil {
		return 0, 0, kerr
	}
	from, kerr := req.Integer("from", api.Int(0))
	if kerr != nil {
		return 0, 0, kerr
	}
	if _, err := c.scrollArg(req); err != nil {
		return 0, 0, err
	}
	if _, kerr := bodyObjectOr(req, "query", nil); kerr != nil {
		return 0, 0, kerr
	}
	return from, size, nil
}

// getCredentialFields answers the fields of strategy's credentials.
func (c *controller) getCredentialFields(_ context.Context, req *api.Request) (any, error) {
	strategy, err := c.strategyArg(req)
	if err != nil {
		return nil, err
	}
	return fieldsOf(c.Credentials, strategy), nil
}

// getAllCredentialFields answers {strategy: fields} of every strategy.
func (c *controller) getAllCredentialFields(context.Context, *api.Request) (any, error) {
	all := map[string][]string{}
	for _, strategy := range c.Credentials.Strategies() {
		all[strategy] = fieldsOf(c.Credentials, strategy)
	}
	return all, nil
}

// fieldsOf is a strategy's fields, [] for none.
func fieldsOf(creds Credentials, strategy string) []string {
	if fields := creds.Fields(strategy); fields != nil {
		return fields
	}
	return []string{}
}

// getUserStrategies answers {strategies, total}: the strategies holding
// credentials of an existing user (none for the anonymous user).
func (c *controller) getUserStrategies(ctx context.Context, req *api.Request) (any, error) {
	id, kerr := req.DocumentID()
	if kerr != nil {
		return nil, kerr
	}
	if _, err := c.Security.User(ctx, id); err != nil {
		return nil, err
	}
	strategies := []string{}
	if id != model.AnonymousID {
		for _, strategy := range c.Credentials.Strategies() {
			exists, err := c.Credentials.Exists(ctx, strategy, id)
			if err != nil {
				return nil, strategyError(err)
			}
			if exists {
				strategies = append(strategies, strategy)
			}
		}
	}
	return map[string]any{"strategies": strategies, "total": len(strategies)}, nil
}

// noCredentials' other methods: a server without strategies never reaches
// them (strategyArg refuses every strategy).
func (noCredentials) Update(context.Context, string, string, jsonx.RawMessage) (any, error) {
	return nil, nil
}
func (noCredentials) GetInfo(context.Context, string, string) (any, error) { return nil, nil }
func (noCredentials) GetByID(context.Context, string, string) (any, error) { return nil, nil }
func (noCredentials) Search(context.Context, string, jsonx.RawMessage, int, int) (any, error) {
	return nil, nil
}
func (noCredentials) Fields(string) []string { return nil }
