package node

import (
	"github.com/starlingmq/starling/actors/connection"
	"github.com/starlingmq/starling/internal/config"
	"github.com/starlingmq/starling/internal/httpws"
)

// startHTTPWS opens Kuzzle's HTTP and WebSocket listener on server.port
// when either protocol is enabled.
func (n *Node) startHTTPWS(cfg *config.Config, sessions *connection.Sessions) error {
	s := cfg.Server
	if !s.HTTP.Enabled && !s.WebSocket.Enabled {
		return nil
	}
	tlsConfig, err := n.loadTLS("server.tls", s.TLS)
	if err != nil {
		return err
	}
	srv, err := httpws.New(httpws.Config{
		Host:               s.Host,
		Port:               s.Port,
		TLS:                tlsConfig,
		Node:               n.id,
		HTTP:               s.HTTP.Enabled,
		WebSocket:          s.WebSocket.Enabled,
		MaxRequestSize:     s.MaxRequestSize,
		AllowCompression:   s.HTTP.AllowCompression,
		MaxEncodingLayers:  s.HTTP.MaxEncodingLayers,
		ReadTimeout:        s.MQTT.ConnectTimeout,
		WriteTimeout:       s.MQTT.WriteTimeout,
		IdleTimeout:        s.WebSocket.IdleTimeout,
		MaxPendingMessages: s.MQTT.MaxPendingNotifications,
		MaxPendingBytes:    s.MQTT.MaxPendingBytes,
		Metrics:            n.MetricsHandler(),
	}, sessions, n.log)
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		return err
	}
	n.httpws = srv
	return nil
}
