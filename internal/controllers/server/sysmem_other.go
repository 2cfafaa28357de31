//go:build !linux

package server

// systemMemory reports 0 for the machine's memory: only Linux tells it here.
func systemMemory() (free, total uint64) { return 0, 0 }
