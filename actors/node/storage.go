package node

import (
	"github.com/starlingmq/starling/actors/realtime"
	"github.com/starlingmq/starling/internal/api"
	"github.com/starlingmq/starling/internal/config"
	"github.com/starlingmq/starling/internal/controllers/documents"
)

// storageControllers builds the index, collection, document, bulk and
// admin controllers on the node's store, notifying through realtime.
func (n *Node) storageControllers(cfg *config.Config) []api.Controller {
	return documents.Controllers(documents.Deps{
		Store:        n.store,
		Notifier:     notifier{n.realtime},
		Limits:       documents.Limits{FetchCount: cfg.Limits.DocumentsFetchCount, WriteCount: cfg.Limits.DocumentsWriteCount},
		ScrollTTL:    cfg.Storage.ScrollTTL,
		MaxScrollTTL: cfg.Storage.MaxScrollTTL,
		Logger:       n.log,
	})
}

// notifier hands the storage controllers' changes to realtime.
type notifier struct{ rt *realtime.Realtime }

// NotifyDocuments implements documents.Notifier.
func (nf notifier) NotifyDocuments(req *api.Request, index, collection string, changes []documents.Change) {
	for _, c := range changes {
		nf.rt.NotifyDocument(req, index, collection, realtime.DocumentChange{
			Action: c.Action, ID: c.ID, Source: c.Source, Previous: c.Previous, Result: c.Result,
		})
	}
}
