// Package proc reads a process's CPU time (its own, or with its
// children's) and memory from Linux's /proc.
// It imports nothing of Starling's.
package proc

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is USER_HZ, the unit of /proc/<pid>/stat times: 100 on every
// Linux architecture Go supports.
const clockTick = 10 * time.Millisecond

// CPUTime returns the user plus system CPU time of every thread of pid
// (utime+stime of /proc/<pid>/stat), at a 10 ms resolution.
func CPUTime(pid int) (time.Duration, error) {
	st, err := readStat(pid)
	if err != nil {
		return 0, fmt.Errorf("cpu time: %w", err)
	}
	return st.utime + st.stime, nil
}

// FamilyCPUTime returns the CPU time of pid and of its children: its own,
// that of the children it has waited for (cutime+cstime), and that of its
// living children. A server that forks a process per connection
// (PostgreSQL's postmaster) is measured whole this way; grandchildren
// still running are not counted.
func FamilyCPUTime(pid int) (time.Duration, error) {
	st, err := readStat(pid)
	if err != nil {
		return 0, fmt.Errorf("cpu time: %w", err)
	}
	total := st.utime + st.stime + st.cutime + st.cstime
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, fmt.Errorf("cpu time: list processes: %w", err)
	}
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil || child == pid {
			continue
		}
		cs, err := readStat(child)
		if err != nil || cs.ppid != pid {
			continue // gone meanwhile, or another's
		}
		total += cs.utime + cs.stime
	}
	return total, nil
}

// stat is what CPUTime and FamilyCPUTime read of /proc/<pid>/stat.
type stat struct {
	ppid                         int
	utime, stime, cutime, cstime time.Duration
}

// readStat parses /proc/<pid>/stat.
func readStat(pid int) (stat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return stat{}, err
	}
	// The command name, field 2, may hold spaces: fields count from after it.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return stat{}, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 15 {
		return stat{}, fmt.Errorf("short /proc/%d/stat", pid)
	}
	// f[0] is field 3 (state): ppid is field 4, utime, stime, cutime and
	// cstime fields 14 to 17.
	var n [5]int64
	for j, k := range []int{1, 11, 12, 13, 14} {
		if n[j], err = strconv.ParseInt(f[k], 10, 64); err != nil {
			return stat{}, fmt.Errorf("bad field %d in /proc/%d/stat", k+3, pid)
		}
	}
	return stat{ppid: int(n[0]), utime: time.Duration(n[1]) * clockTick, stime: time.Duration(n[2]) * clockTick,
		cutime: time.Duration(n[3]) * clockTick, cstime: time.Duration(n[4]) * clockTick}, nil
}

// Memory is a process's resident memory, in bytes.
type Memory struct {
	RSS  uint64 // VmRSS: resident now
	Peak uint64 // VmHWM: highest resident so far
}

// ReadMemory returns pid's VmRSS and VmHWM.
func ReadMemory(pid int) (Memory, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Memory{}, fmt.Errorf("memory: %w", err)
	}
	var m Memory
	for line := range strings.SplitSeq(string(b), "\n") {
		key, val, ok := strings.Cut(line, ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(val), " kB"), 10, 64)
		if err != nil {
			return Memory{}, fmt.Errorf("memory: %s in /proc/%d/status: %w", key, pid, err)
		}
		if key == "VmRSS" {
			m.RSS = kb << 10
		} else {
			m.Peak = kb << 10
		}
	}
	return m, nil
}
