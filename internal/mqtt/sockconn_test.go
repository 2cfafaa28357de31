//go:build unix

package mqtt

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// sockPair returns a sockConn and the other end of its TCP connection.
func sockPair(t *testing.T) (*sockConn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	other, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := <-accepted
	if c == nil {
		t.Fatal("accept failed")
	}
	s, ok := wrapConn(c).(*sockConn)
	if !ok {
		t.Fatal("a TCP connection is not wrapped")
	}
	t.Cleanup(func() { s.Close(); other.Close() })
	return s, other
}

func TestSockConnCarriesBytesBothWays(t *testing.T) {
	s, other := sockPair(t)
	// Larger than the socket buffers: writes must wait for the reader.
	data := bytes.Repeat([]byte("starling"), 1<<19)
	go func() {
		_, _ = other.Write(data)
	}()
	got := make([]byte, len(data))
	if _, err := io.ReadFull(s, got); err != nil {
		t.Fatalf("read: %v", err)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("read bytes differ from written ones")
	}

	done := make(chan error, 1)
	go func() {
		n, err := s.Write(data)
		if err == nil && n != len(data) {
			err = io.ErrShortWrite
		}
		done <- err
	}()
	if _, err := io.ReadFull(other, got); err != nil {
		t.Fatalf("read back: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("write: %v", err)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("written bytes differ from read ones")
	}
}

func TestSockConnReadEnds(t *testing.T) {
	t.Run("EOF when the peer closes", func(t *testing.T) {
		s, other := sockPair(t)
		other.Close()
		if _, err := s.Read(make([]byte, 8)); err != io.EOF {
			t.Fatalf("got %v, want io.EOF", err)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		s, _ := sockPair(t)
		if err := s.SetReadDeadline(time.Now().Add(20 * time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		_, err := s.Read(make([]byte, 8))
		var ne net.Error
		if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("got %v, want a read timeout", err)
		}
	})
	t.Run("closed while waiting", func(t *testing.T) {
		s, _ := sockPair(t)
		errc := make(chan error, 1)
		go func() {
			_, err := s.Read(make([]byte, 8))
			errc <- err
		}()
		s.Close()
		if err := <-errc; !errors.Is(err, net.ErrClosed) {
			t.Fatalf("got %v, want net.ErrClosed", err)
		}
	})
}

func TestSockConnTryWriteNeverWaits(t *testing.T) {
	s, other := sockPair(t)
	chunk := bytes.Repeat([]byte{'x'}, 64<<10)
	total := 0
	for {
		n, err := s.tryWrite(chunk)
		if err != nil {
			t.Fatalf("tryWrite: %v", err)
		}
		total += n
		if n == 0 {
			break // the socket is full and nobody reads: it took nothing
		}
		if total > 256<<20 {
			t.Fatal("the socket never filled")
		}
	}
	read := make(chan int64, 1)
	go func() {
		n, _ := io.Copy(io.Discard, other)
		read <- n
	}()
	if _, err := s.Write(chunk); err != nil {
		t.Fatalf("write once the peer reads: %v", err)
	}
	s.Close()
	if n := <-read; n != int64(total+len(chunk)) {
		t.Fatalf("peer read %d bytes, want %d", n, total+len(chunk))
	}
}

func TestSockConnTryWriteAfterClose(t *testing.T) {
	s, _ := sockPair(t)
	if _, err := s.tryWrite([]byte("x")); err != nil {
		t.Fatalf("open socket: %v", err)
	}
	s.Close()
	if _, err := s.tryWrite([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("got %v after Close, want net.ErrClosed", err)
	}
}
