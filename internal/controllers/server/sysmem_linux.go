package server

import "syscall"

// systemMemory returns the machine's free and total memory in bytes.
func systemMemory() (free, total uint64) {
	var info syscall.Sysinfo_t
	if err := syscall.Sysinfo(&info); err != nil {
		return 0, 0
	}
	unit := uint64(info.Unit)
	return uint64(info.Freeram) * unit, uint64(info.Totalram) * unit
}
