package node

import (
	"net"

	"github.com/starlingmq/starling/internal/config"
	"github.com/starlingmq/starling/internal/mqttws"
)

// startMQTTWebSocket opens the MQTT over WebSocket listener when
// server.protocols.mqtt.websocket.enabled; its clients are served by the
// MQTT server, under the same rules and bounds as its own.
func (n *Node) startMQTTWebSocket(cfg *config.Config) error {
	w := cfg.Server.MQTT.WebSocket
	if !w.Enabled {
		return nil
	}
	tlsConfig, err := n.loadTLS("server.protocols.mqtt.websocket.tls", w.TLS)
	if err != nil {
		return err
	}
	srv := mqttws.New(mqttws.Config{
		TLS:            tlsConfig,
		Host:           w.Host,
		Port:           w.Port,
		Path:           w.Path,
		MaxMessageSize: mqttConfig(cfg, n.id).MaxPacketSize,
		ReadTimeout:    cfg.Server.MQTT.ConnectTimeout,
	}, n.mqtt, n.log)
	if err := srv.Start(); err != nil {
		return err
	}
	n.mqttws = srv
	return nil
}

// MQTTWebSocketAddr returns the MQTT over WebSocket listening address, nil
// when it is disabled.
func (n *Node) MQTTWebSocketAddr() net.Addr {
	if n.mqttws == nil {
		return nil
	}
	return n.mqttws.Addr()
}
