//go:build !unix

package mqtt

import "net"

// wrapConn keeps c: raw socket calls are made on Unix systems only.
func wrapConn(c net.Conn) net.Conn { return c }
