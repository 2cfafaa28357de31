package mqtt

import (
	"syscall"
	"unsafe"
)

// rawRead reads from a non-blocking socket without the runtime's system
// call bookkeeping; see sockConn.
func rawRead(fd uintptr, b []byte) (int, syscall.Errno) {
	for {
		n, _, errno := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
		if errno != syscall.EINTR {
			return int(n), errno
		}
	}
}

// rawWrite writes to a non-blocking socket without the runtime's system
// call bookkeeping; see sockConn.
func rawWrite(fd uintptr, b []byte) (int, syscall.Errno) {
	for {
		n, _, errno := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
		if errno != syscall.EINTR {
			return int(n), errno
		}
	}
}
