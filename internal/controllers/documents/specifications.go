package documents

import (
	"context"
	"errors"
	"fmt"

	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/jsonx"
	"github.com/starlingmq/starling/internal/kerror"
	"github.com/starlingmq/starling/internal/store"
	"github.com/starlingmq/starling/internal/store/mapping"
	"github.com/starlingmq/starling/internal/store/query"
	"github.com/starlingmq/starling/internal/validation"
)

// Specifications are stored as Kuzzle stores them: one document per
// collection, id "<index>#<collection>", body {collection, index,
// validation}, in the internal index's "validations" collection.
const (
	// SpecificationsIndex is Starling's internal index.
	SpecificationsIndex = "%kuzzle"
	// SpecificationsCollection holds the specifications.
	SpecificationsCollection = "validations"
	// specificationsHitIndex is the index name search hits report, the
	// internal index's name without its prefix, as Kuzzle reports it.
	specificationsHitIndex = "kuzzle"
)

// specificationsMappings are Kuzzle's mappings of the validations
// collection.
const specificationsMappings = `{"properties":{"index":{"type":"keyword"},"collection":{"type":"keyword"},"validations":{"dynamic":"false","properties":{}}}}`

func specificationID(index, collection string) string { return index + "#" + collection }

// LoadSpecifications reads every stored specification into reg, replacing
// what it held; the node calls it at start so that specifications survive
// restarts. A stored specification that no longer parses is an error.
func LoadSpecifications(ctx context.Context, st store.Store, reg *validation.Registry) error {
	ok, err := st.HasCollection(ctx, SpecificationsIndex, SpecificationsCollection)
	if err != nil {
		return fmt.Errorf("load specifications: %w", err)
	}
	if !ok {
		reg.Replace(nil)
		return nil
	}
	var specs []*validation.Specification
	const page = 1000
	for from := 0; ; from += page {
		res, err := st.Search(ctx, SpecificationsIndex, SpecificationsCollection, &query.Search{Query: query.MatchAll{}, From: from, Size: page})
		if err != nil {
			return fmt.Errorf("load specifications: %w", err)
		}
		for _, hit := range res.Hits {
			spec, err := parseStored(hit.Source)
			if err != nil {
				return fmt.Errorf("load the specification %s: %w", hit.ID, err)
			}
			specs = append(specs, spec)
		}
		if len(res.Hits) < page {
			break
		}
	}
	reg.Replace(specs)
	return nil
}

// ReloadSpecification reads the stored specification of index:collection
// into reg, or removes it from reg when none is stored (another node
// changed it); collection "" reloads every collection of index reg holds.
// It emits nothing.
func ReloadSpecification(ctx context.Context, st store.Store, reg *validation.Registry, index, collection string) error {
	names := []string{collection}
	if collection == "" {
		names = names[:0]
		for _, s := range reg.All() {
			if s.Index() == index {
				names = append(names, s.Collection())
			}
		}
	}
	ok, err := st.HasCollection(ctx, SpecificationsIndex, SpecificationsCollection)
	if err != nil {
		return fmt.Errorf("reload specifications: %w", err)
	}
	for _, name := range names {
		var spec *validation.Specification
		if ok {
			docs, err := st.Get(ctx, SpecificationsIndex, SpecificationsCollection, []string{specificationID(index, name)})
			if err != nil {
				return fmt.Errorf("reload the specification of %s:%s: %w", index, name, err)
			}
			if docs[0].Found {
				if spec, err = parseStored(docs[0].Source); err != nil {
					return fmt.Errorf("reload the specification of %s:%s: %w", index, name, err)
				}
			}
		}
		reg.Load(index, name, spec)
	}
	return nil
}

// parseStored parses a stored {collection, index, validation} document.
func parseStored(source jsonx.RawMessage) (*validation.Specification, error) {
	var doc struct {
		Index      string           `json:"index"`
		Collection string           `json:"collection"`
		Validation jsonx.RawMessage `json:"validation"`
	}
	if err := jsonx.Unmarshal(source, &doc); err != nil {
		return nil, err
	}
	if doc.Index == "" || doc.Collection == "" || doc.Validation == nil {
		return nil, errors.New("not a {index, collection, validation} document")
	}
	return validation.Parse(doc.Index, doc.Collection, doc.Validation)
}

// ensureSpecifications creates the validations collection on first use.
func (c *controllers) ensureSpecifications(ctx context.Context) error {
	ok, err := c.Store.HasCollection(ctx, SpecificationsIndex, SpecificationsCollection)
	if err != nil || ok {
		return err
	}
	m, err := mapping.Parse(jsonx.RawMessage(specificationsMappings))
	if err != nil {
		return err
	}
	return c.Store.CreateCollection(ctx, SpecificationsIndex, SpecificationsCollection, m, nil)
}

// dropSpecification forgets a collection's specification, stored and in
// the registry; a collection without one is no error.
// The registry forgets it once the store did, so that other nodes told of
// the change read the store after it.
func (c *controllers) dropSpecification(ctx context.Context, index, collection string) error {
	ok, err := c.Store.HasCollection(ctx, SpecificationsIndex, SpecificationsCollection)
	if err != nil {
		return err
	}
	if ok {
		results, err := c.Store.Write(ctx, SpecificationsIndex, SpecificationsCollection,
			[]store.Op{{Kind: store.OpDelete, ID: specificationID(index, collection)}})
		if err != nil {
			return err
		}
		var kerr *kerror.Error
		if results[0].Err != nil && !(errors.As(results[0].Err, &kerr) && kerr.ID == "services.storage.not_found") {
			return results[0].Err
		}
	}
	c.Specifications.Delete(index, collection)
	return nil
}

// dropIndexSpecifications forgets the specifications of every collection
// of a deleted index.
func (c *controllers) dropIndexSpecifications(ctx context.Context, index string) error {
	for _, spec := range c.Specifications.All() {
		if spec.Index() == index {
			if err := c.dropSpecification(ctx, index, spec.Collection()); err != nil {
				return err
			}
		}
	}
	c.Specifications.DeleteIndex(index)
	return nil
}

func (c *controllers) validateSpecifications(_ context.Context, req *api.Request) (any, error) {
	index, collection, err := target(req)
	if err != nil {
		return nil, err
	}
	body, kerr := req.BodyObject()
	if kerr != nil {
		return nil, kerr
	}
	_, report := validation.Check(index, collection, body)
	return report, nil
}

func (c *controllers) updateSpecifications(ctx context.Context, req *api.Request) (any, error) {
	index, collection, err := target(req)
	if err != nil {
		return nil, err
	}
	body, kerr := req.BodyObject()
	if kerr != nil {
		return nil, kerr
	}
	spec, report := validation.Check(index, collection, body)
	if err := report.Err(); err != nil {
		return nil, err
	}
	if err := c.ensureSpecifications(ctx); err != nil {
		return nil, err
	}
	doc, err := jsonx.Marshal(spec)
	if err != nil {
		return nil, fmt.Errorf("encode the specification of %s:%s: %w", index, collection, err)
	}
	op := store.Op{Kind: store.OpCreateOrReplace, ID: specificationID(index, collection), Body: doc}
	if _, err := c.writeOne(ctx, SpecificationsIndex, SpecificationsCollection, op); err != nil {
		return nil, err
	}
	c.Specifications.Set(spec)
	return body, nil
}

func (c *controllers) getSpecifications(ctx context.Context, req *api.Request) (any, error) {
	index, collection, err := target(req)
	if err != nil {
		return nil, err
	}
	notFound := kerror.New("validation.assert.not_found", index, collection)
	ok, err := c.Store.HasCollection(ctx, SpecificationsIndex, SpecificationsCollection)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, notFound
	}
	docs, err := c.Store.Get(ctx, SpecificationsIndex, SpecificationsCollection, []string{specificationID(index, collection)})
	if err != nil {
		return nil, err
	}
	if !docs[0].Found {
		return nil, notFound
	}
	return docs[0].Source, nil
}

func (c *controllers) deleteSpecifications(ctx context.Context, req *api.Request) (any, error) {
	index, collection, err := target(req)
	if err != nil {
		return nil, err
	}
	if err := c.dropSpecification(ctx, index, collection); err != nil {
		return nil, err
	}
	return acknowledged, nil
}

// specificationHit is one hit of searchSpecifications, in Kuzzle's shape.
type specificationHit struct {
	ID         string           `json:"_id"`
	Score      float64          `json:"_score"`
	Source     jsonx.RawMessage `json:"_source"`
	Collection string           `json:"collection"`
	Index      string           `json:"index"`
}

// specificationPage is searchSpecifications' and scrollSpecifications'
// result.
type specificationPage struct {
	Hits     []specificationHit `json:"hits"`
	ScrollID string             `json:"scrollId,omitempty"`
	Total    int                `json:"total"`
}

func newSpecificationPage(res *store.SearchResult) specificationPage {
	page := specificationPage{Hits: make([]specificationHit, len(res.Hits)), ScrollID: res.ScrollID, Total: res.Total}
	for i, h := range res.Hits {
		page.Hits[i] = specificationHit{h.ID, h.Score, h.Source, SpecificationsCollection, specificationsHitIndex}
	}
	return page
}

func (c *controllers) searchSpecifications(ctx context.Context, req *api.Request) (any, error) {
	from, kerr := req.Integer("from", api.Int(0))
	if kerr != nil {
		return nil, kerr
	}
	size, kerr := req.Integer("size", api.Int(10))
	if kerr != nil {
		return nil, kerr
	}
	ttl, _, kerr := req.Scroll(c.MaxScrollTTL)
	if kerr != nil {
		return nil, kerr
	}
	body := req.Body
	if body != nil && body[0] != '{' {
		return nil, kerror.New("api.assert.invalid_type", "body.query", "object")
	}
	if size-from > c.Limits.FetchCount {
		return nil, kerror.New("services.storage.get_limit_exceeded")
	}
	ok, err := c.Store.HasCollection(ctx, SpecificationsIndex, SpecificationsCollection)
	if err != nil {
		return nil, err
	}
	if !ok {
		return specificationPage{Hits: []specificationHit{}}, nil
	}
	m, err := c.Store.Mapping(ctx, SpecificationsIndex, SpecificationsCollection)
	if err != nil {
		return nil, err
	}
	s, err := query.ParseSearch(body, "elasticsearch", m)
	if err != nil {
		return nil, err
	}
	s.From, s.Size, s.Scroll = from, size, ttl
	res, err := c.Store.Search(ctx, SpecificationsIndex, SpecificationsCollection, s)
	if err != nil {
		return nil, err
	}
	return newSpecificationPage(res), nil
}

func (c *controllers) scrollSpecifications(ctx context.Context, req *api.Request) (any, error) {
	id, _, kerr := req.String("scrollId")
	if kerr != nil {
		return nil, kerr
	}
	if id == "" {
		return nil, kerror.New("api.assert.missing_argument", "scrollId")
	}
	ttl, _, kerr := req.Scroll(c.MaxScrollTTL)
	if kerr != nil {
		return nil, kerr
	}
	if ttl == 0 {
		ttl = c.ScrollTTL
	}
	res, err := c.Store.Scroll(ctx, id, ttl)
	if err != nil {
		return nil, err
	}
	return newSpecificationPage(res), nil
}
