package config

import (
	"math"
	"time"
)

// PluginsCommon holds the plugins.common.* keys Starling reads: the bounds
// of plugin pipes and hooks (Wasm modules' pipes and hooks).
type PluginsCommon struct {
	// PipeWarnTime logs a pipe slower than this (Kuzzle's pipeWarnTime).
	PipeWarnTime time.Duration
	// PipeTimeout fails a request whose pipe runs longer with
	// plugin.runtime.pipe_timeout (Kuzzle's, deprecated there, in force
	// here).
	PipeTimeout time.Duration
	// MaxConcurrentPipes is how many pipe chains run at once.
	MaxConcurrentPipes int
	// PipesBufferSize is how many pipe chains may wait for one of those;
	// past it, plugin.runtime.too_many_pipes.
	PipesBufferSize int
	// HookQueue is how many hook events may wait to run; later ones are
	// dropped (Starling's).
	HookQueue int
}

// pluginsCommonDefaults are Kuzzle's plugins.common defaults Starling
// reads, and its own hookQueue.
func pluginsCommonDefaults() map[string]any {
	return map[string]any{
		"pipeWarnTime":       500.0,
		"pipeTimeout":        5000.0,
		"maxConcurrentPipes": 50.0,
		"pipesBufferSize":    50000.0,
		"hookQueue":          1024.0,
	}
}

// decodePluginsCommon reads plugins.common.
func (r *reader) decodePluginsCommon() PluginsCommon {
	const prefix = "plugins.common."
	return PluginsCommon{
		PipeWarnTime:       time.Duration(r.integer(prefix+"pipeWarnTime", 0, math.MaxInt32)) * time.Millisecond,
		PipeTimeout:        time.Duration(r.integer(prefix+"pipeTimeout", 1, math.MaxInt32)) * time.Millisecond,
		MaxConcurrentPipes: r.integer(prefix+"maxConcurrentPipes", 1, math.MaxInt32),
		PipesBufferSize:    r.integer(prefix+"pipesBufferSize", 1, math.MaxInt32),
		HookQueue:          r.integer(prefix+"hookQueue", 1, math.MaxInt32),
	}
}
