package mqtt

import (
	"bytes"
	"errors"
	"strings"
	"time"

	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/starlingmq/starling/internal/api"
)

// connect handles the CONNECT packet: it validates it, checks the will
// like a publish from that client, takes the client id over if needed,
// opens the session and answers CONNACK. A refusal answers its CONNACK
// reason code and closes the connection.
func (c *Conn) connect(fh packets.FixedHeader, body []byte) error {
	pk := packets.Packet{FixedHeader: fh}
	if err := pk.ConnectDecode(body); err != nil {
		if pk.ProtocolVersion == 5 {
			c.version = 5
			c.connack(packets.ErrMalformedPacket.Code, nil)
		}
		return causeProtocol
	}
	c.version = pk.ProtocolVersion
	if c.version != 3 && c.version != 4 && c.version != 5 {
		c.version = 4
		c.connack(0x01, nil) // unacceptable protocol version
		return causeProtocol
	}
	if code := pk.ConnectValidate(); code != packets.CodeSuccess {
		return c.refuse(code.Code, 0x02, "invalid CONNECT: "+code.Reason)
	}
	if pk.Connect.ClientIdentifier == "" && c.version < 5 && !pk.Connect.Clean {
		return c.refuse(packets.ErrClientIdentifierNotValid.Code, 0x02, "empty client id without clean session")
	}
	if pk.Connect.WillFlag && !c.srv.publishAllowed(pk.Connect.WillTopic) {
		c.srv.stats.willRefused.Add(1)
		return c.refuse(packets.ErrNotAuthorized.Code, 0x05, "will on a forbidden topic "+pk.Connect.WillTopic)
	}
	if a, ok := c.srv.handler.(Authenticator); ok {
		identity, err := a.Authenticate(string(pk.Connect.Username), pk.Connect.Password, pk.Connect.UsernameFlag)
		switch {
		case errors.Is(err, ErrBadCredentials):
			c.srv.stats.authRefused.Add(1)
			return c.refuse(packets.ErrBadUsernameOrPassword.Code, 0x04, "bad user name or password")
		case errors.Is(err, ErrServerBusy):
			c.srv.stats.authRefused.Add(1)
			return c.refuse(packets.ErrServerBusy.Code, 0x03, "too many logins at once")
		case err != nil:
			c.srv.stats.authRefused.Add(1)
			return c.refuse(packets.ErrNotAuthorized.Code, 0x05, "not authorized: "+err.Error())
		}
		c.identity = identity
	}
	props := &packets.Properties{}
	// The codec's strings share the read buffer, which is reused: keep copies.
	c.id = strings.Clone(pk.Connect.ClientIdentifier)
	if c.id == "" {
		c.id = "starling-" + api.NewID()
		props.AssignedClientID = c.id
	}
	if pk.Connect.WillFlag {
		c.will = &will{topic: strings.Clone(pk.Connect.WillTopic), payload: bytes.Clone(pk.Connect.WillPayload), retain: pk.Connect.WillRetain}
	}
	c.maxOut = int(pk.Properties.MaximumPacketSize)
	c.setKeepalive(pk.Connect.Keepalive, props)
	ok, full := c.srv.register(c)
	if !ok {
		if full {
			c.srv.stats.connectionsRefused.Add(1)
			return c.refuse(packets.ErrQuotaExceeded.Code, 0x03, "connection limit reached")
		}
		return c.refuse(packets.ErrServerShuttingDown.Code, 0x03, "server shutting down")
	}
	c.session = c.srv.handler.Open(c)
	c.connack(0, props)
	c.connected.Store(true)
	c.deadline = time.Time{}
	if c.keepalive == 0 {
		_ = c.sock.SetReadDeadline(time.Time{})
	}
	return nil
}

// setKeepalive sets how long the client may stay silent: one and a half
// times its keepalive, or the idle timeout when it has none (told to MQTT 5
// clients as the Server Keep Alive, so that they ping in time). The Server
// Keep Alive counts whole seconds: below 1.5 s, the idle timeout grows to
// one and a half times the second announced, which a client keeping to it
// may stay silent for.
func (c *Conn) setKeepalive(seconds uint16, props *packets.Properties) {
	idle := c.srv.cfg.IdleTimeout
	switch {
	case seconds > 0:
		c.keepalive = time.Duration(seconds) * 1500 * time.Millisecond
	case idle > 0:
		c.keepalive = idle
		if c.version == 5 {
			announced := min(max(idle*2/3/time.Second, 1), 65535)
			props.ServerKeepAlive = uint16(announced)
			props.ServerKeepAliveFlag = true
			c.keepalive = max(idle, announced*1500*time.Millisecond)
		}
	}
}

// refuse answers a refused CONNECT with its reason code (v5) or return
// code (3.1.1), logs why, and returns the cause that closes the connection.
func (c *Conn) refuse(v5, v3 byte, why string) error {
	c.srv.log.Info("MQTT connection refused", "client", c.id, "remote", c.remote, "reason", why)
	if c.version == 5 {
		c.connack(v5, nil)
	} else {
		c.connack(v3, nil)
	}
	return causeProtocol
}

// connack writes the CONNACK: for MQTT 5, with what the server supports.
func (c *Conn) connack(code byte, props *packets.Properties) {
	if c.version != 5 {
		c.out.deliver([]byte{packets.Connack << 4, 2, 0, code})
		return
	}
	pk := packets.Packet{
		FixedHeader:     packets.FixedHeader{Type: packets.Connack},
		ProtocolVersion: 5,
		ReasonCode:      code,
	}
	if props != nil {
		cfg := &c.srv.cfg
		pk.Properties = *props
		pk.Properties.ReceiveMaximum = uint16(cfg.ReceiveMaximum)
		pk.Properties.MaximumPacketSize = uint32(cfg.MaxPacketSize)
		pk.Properties.RetainAvailable = boolByte(cfg.AllowPubSub)
		pk.Properties.RetainAvailableFlag = true
		pk.Properties.SubIDAvailableFlag = true // 0: no subscription ids
		// Wildcard and shared subscriptions are not announced as missing:
		// clients try them and get Kuzzle's refusal, SUBACK 0x87.
	}
	var buf bytes.Buffer
	if err := pk.ConnackEncode(&buf); err == nil {
		c.out.deliver(buf.Bytes())
	}
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}
