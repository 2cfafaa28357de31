//go:build unix && !linux

package mqtt

import "syscall"

// rawRead reads from a non-blocking socket.
func rawRead(fd uintptr, b []byte) (int, syscall.Errno) {
	return errnoOf(syscall.Read(int(fd), b))
}

// rawWrite writes to a non-blocking socket.
func rawWrite(fd uintptr, b []byte) (int, syscall.Errno) {
	return errnoOf(syscall.Write(int(fd), b))
}

func errnoOf(n int, err error) (int, syscall.Errno) {
	if err != nil {
		errno, _ := err.(syscall.Errno)
		return 0, errno
	}
	return n, 0
}
