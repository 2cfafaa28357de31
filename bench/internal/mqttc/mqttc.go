// Package mqttc is the load generator's MQTT client: just enough MQTT 3.1.1
// and 5 (CONNECT, SUBSCRIBE, QoS 0 PUBLISH) over a plain socket, with no
// goroutine of its own, so that thousands of clients cost the load generator
// little and an idle connection costs it nothing but a socket.
//
// A Conn is not safe for concurrent use, except that one goroutine may write
// (Publish) while another reads (ReadPacket).
//
// mqttc imports nothing of Starling's: it speaks MQTT to any broker.
package mqttc

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// Packet types, as in the fixed header's high nibble.
const (
	TypeConnack = 0x20
	TypePublish = 0x30
	TypeSuback  = 0x90
)

// Options describe a connection.
type Options struct {
	// Version is 4 (MQTT 3.1.1, the default) or 5.
	Version byte
	// ClientID must be unique per server.
	ClientID string
	// KeepAlive in seconds; 0 turns keep-alive off (idle connections).
	KeepAlive uint16
	// LocalIP is the source address (one of 127.0.0.0/8), nil for the default.
	LocalIP net.IP
	// ReadBuffer sizes the reader (default 16 KiB).
	ReadBuffer int
	// Timeout bounds the dial and the CONNACK wait (default 10 s).
	Timeout time.Duration
	// Username and Password are sent in the CONNECT when Username is not
	// empty.
	Username, Password string
}

// Conn is one MQTT connection.
type Conn struct {
	conn    net.Conn
	r       *bufio.Reader
	version byte
	buf     []byte // reused by Publish
	out     []byte // packets queued by Queue until Flush
}

// Dial connects to addr and completes the MQTT handshake.
func Dial(addr string, o Options) (*Conn, error) {
	if o.Version == 0 {
		o.Version = 4
	}
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Second
	}
	d := net.Dialer{Timeout: o.Timeout}
	if o.LocalIP != nil {
		d.LocalAddr = &net.TCPAddr{IP: o.LocalIP}
	}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	if o.ReadBuffer == 0 {
		o.ReadBuffer = 16 << 10
	}
	c := &Conn{conn: nc, r: bufio.NewReaderSize(nc, o.ReadBuffer), version: o.Version}
	if err := c.handshake(o); err != nil {
		nc.Close()
		return nil, fmt.Errorf("connect %s as %s: %w", addr, o.ClientID, err)
	}
	return c, nil
}

func (c *Conn) handshake(o Options) error {
	_ = c.conn.SetDeadline(time.Now().Add(o.Timeout))
	defer c.conn.SetDeadline(time.Time{})
	flags := byte(0x02) // clean session
	if o.Username != "" {
		flags |= 0xc0 // user name and password
	}
	vh := []byte{0, 4, 'M', 'Q', 'T', 'T', o.Version, flags}
	vh = binary.BigEndian.AppendUint16(vh, o.KeepAlive)
	if o.Version == 5 {
		vh = append(vh, 0) // no properties
	}
	vh = binary.BigEndian.AppendUint16(vh, uint16(len(o.ClientID)))
	vh = append(vh, o.ClientID...)
	if o.Username != "" {
		vh = binary.BigEndian.AppendUint16(vh, uint16(len(o.Username)))
		vh = append(vh, o.Username...)
		vh = binary.BigEndian.AppendUint16(vh, uint16(len(o.Password)))
		vh = append(vh, o.Password...)
	}
	if _, err := c.conn.Write(appendPacket(nil, 0x10, vh)); err != nil {
		return err
	}
	typ, body, err := c.ReadPacket()
	if err != nil {
		return fmt.Errorf("read CONNACK: %w", err)
	}
	if typ != TypeConnack || len(body) < 2 {
		return fmt.Errorf("want CONNACK, got packet type %#x", typ)
	}
	if body[1] != 0 {
		return fmt.Errorf("connection refused: code %#x", body[1])
	}
	return nil
}

// appendPacket appends a packet with the given first byte and body.
func appendPacket(dst []byte, first byte, body []byte) []byte {
	dst = append(dst, first)
	dst = binary.AppendUvarint(dst, uint64(len(body))) // MQTT's remaining length is this varint
	return append(dst, body...)
}

// Subscribe subscribes to topic with QoS 0 and waits for the SUBACK, up to
// timeout. It must not be called while another goroutine reads.
func (c *Conn) Subscribe(topic string, timeout time.Duration) error {
	_ = c.conn.SetDeadline(time.Now().Add(timeout))
	defer c.conn.SetDeadline(time.Time{})
	body := []byte{0, 1}
	if c.version == 5 {
		body = append(body, 0)
	}
	body = binary.BigEndian.AppendUint16(body, uint16(len(topic)))
	body = append(append(body, topic...), 0)
	if _, err := c.conn.Write(appendPacket(nil, 0x82, body)); err != nil {
		return fmt.Errorf("subscribe %s: %w", topic, err)
	}
	for {
		typ, body, err := c.ReadPacket()
		if err != nil {
			return fmt.Errorf("subscribe %s: read SUBACK: %w", topic, err)
		}
		if typ != TypeSuback {
			continue // e.g. a message already routed to us
		}
		if len(body) < 3 || body[len(body)-1] >= 0x80 {
			return fmt.Errorf("subscribe %s: refused (%x)", topic, body)
		}
		return nil
	}
}

// Publish sends a QoS 0 message.
func (c *Conn) Publish(topic string, payload []byte) error {
	c.buf = appendPublish(c.buf[:0], c.version, topic, payload)
	if _, err := c.conn.Write(c.buf); err != nil {
		return fmt.Errorf("publish on %s: %w", topic, err)
	}
	return nil
}

// Queue adds a QoS 0 message to what the next Flush sends, so that the
// messages of one burst leave with one system call.
func (c *Conn) Queue(topic string, payload []byte) {
	c.out = appendPublish(c.out, c.version, topic, payload)
}

// Flush sends what Queue added since the last Flush.
func (c *Conn) Flush() error {
	if len(c.out) == 0 {
		return nil
	}
	_, err := c.conn.Write(c.out)
	c.out = c.out[:0]
	if err != nil {
		return fmt.Errorf("send queued messages: %w", err)
	}
	return nil
}

// Buffered is the number of bytes received and not read yet: 0 when the
// next read waits for the network.
func (c *Conn) Buffered() int { return c.r.Buffered() }

// appendPublish appends a QoS 0 PUBLISH packet.
func appendPublish(b []byte, version byte, topic string, payload []byte) []byte {
	n := 2 + len(topic) + len(payload)
	if version == 5 {
		n++
	}
	b = append(b, 0x30)
	b = binary.AppendUvarint(b, uint64(n))
	b = binary.BigEndian.AppendUint16(b, uint16(len(topic)))
	b = append(b, topic...)
	if version == 5 {
		b = append(b, 0)
	}
	return append(b, payload...)
}

// ReadPacket reads the next packet and returns its type (high nibble of the
// first byte, flags cleared, except PUBLISH keeps its QoS in bits 1–2) and
// its body. The body is valid until the next call.
func (c *Conn) ReadPacket() (byte, []byte, error) {
	first, err := c.r.ReadByte()
	if err != nil {
		return 0, nil, err
	}
	length, err := binary.ReadUvarint(c.r)
	if err != nil {
		return 0, nil, fmt.Errorf("remaining length: %w", err)
	}
	if length > 16<<20 {
		return 0, nil, fmt.Errorf("packet of %d bytes", length)
	}
	body, err := c.r.Peek(int(length))
	if errors.Is(err, bufio.ErrBufferFull) {
		body = make([]byte, length)
		_, err = io.ReadFull(c.r, body)
	} else if err == nil {
		_, _ = c.r.Discard(int(length))
	}
	if err != nil {
		return 0, nil, fmt.Errorf("packet body: %w", err)
	}
	typ := first & 0xf0
	if typ == TypePublish {
		typ |= first & 0x06
	}
	return typ, body, nil
}

// ErrMalformedPublish reports a PUBLISH whose body could not be split; the
// connection may still be read.
var ErrMalformedPublish = errors.New("malformed PUBLISH")

// ReadPublish reads packets until a PUBLISH and returns its topic and
// payload, valid until the next read; other packets are skipped. A PUBLISH
// it cannot split gives an error wrapping ErrMalformedPublish, after which
// reading may go on; any other error ends the connection's use.
func (c *Conn) ReadPublish() (topic, payload []byte, err error) {
	for {
		typ, body, err := c.ReadPacket()
		if err != nil {
			return nil, nil, err
		}
		if typ&0xf0 != TypePublish {
			continue
		}
		topic, payload, err := c.PublishPayload(typ, body)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %w", ErrMalformedPublish, err)
		}
		return topic, payload, nil
	}
}

// PublishPayload splits a PUBLISH body (as ReadPacket returns it, with its
// type) into topic and payload.
func (c *Conn) PublishPayload(typ byte, body []byte) (topic, payload []byte, err error) {
	if len(body) < 2 {
		return nil, nil, errors.New("short PUBLISH")
	}
	n := int(binary.BigEndian.Uint16(body))
	i := 2 + n
	if typ&0x06 != 0 {
		i += 2 // packet identifier
	}
	if i > len(body) {
		return nil, nil, errors.New("short PUBLISH")
	}
	if c.version == 5 {
		plen, k := binary.Uvarint(body[i:])
		if k <= 0 || i+k+int(plen) > len(body) {
			return nil, nil, errors.New("bad PUBLISH properties")
		}
		i += k + int(plen)
	}
	return body[2 : 2+n], body[i:], nil
}

// SetReadDeadline bounds the reads, as net.Conn's.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.conn.SetReadDeadline(t) }

// SetDeadline bounds reads and writes, as net.Conn's.
func (c *Conn) SetDeadline(t time.Time) error { return c.conn.SetDeadline(t) }

// Close closes the socket without DISCONNECT.
func (c *Conn) Close() error { return c.conn.Close() }

// Disconnect sends DISCONNECT and closes the socket.
func (c *Conn) Disconnect() error {
	pk := []byte{0xe0, 0}
	if c.version == 5 {
		pk = []byte{0xe0, 1, 0}
	}
	_ = c.conn.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = c.conn.Write(pk)
	return c.conn.Close()
}
