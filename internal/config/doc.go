// Package config owns Starling's configuration: Kuzzle's keys and defaults,
// read from built-in defaults, then a kuzzlerc JSON file, then kuzzle_
// environment variables, into one typed Config.
//
// Loading follows Kuzzle's rules (config/index.js and the rc library):
// environment variables named kuzzle_<path with __ between levels> override
// the file, which overrides the defaults; string values "true", "false",
// integers, decimals and "*json:" prefixed JSON are turned into typed values.
// A bad value stops loading with an error naming its key.
//
// Starling differs from Kuzzle in one default: MQTT is enabled.
//
// config imports nothing of Starling's but internal/jsonx, and reads no
// process state itself: the caller passes arguments, environment and
// directories in Sources.
package config
