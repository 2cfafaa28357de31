package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/starlingmq/starling/bench/internal/mqttc"
)

// The harness runs the peers' echo responder as a child process of its own
// binary (so that its CPU time can be measured apart from the load
// generator's): roleEnv names the role, the other variables configure it.
const (
	roleEnv    = "STARLING_BENCH_ROLE"
	roleAddr   = "STARLING_BENCH_ADDR"
	roleMQTT   = "STARLING_BENCH_MQTT_VERSION"
	roleEcho   = "echo"
	echoMaxRun = 10 * time.Minute
)

// runRole runs the role roleEnv names and returns the exit status.
func runRole() int {
	if os.Getenv(roleEnv) != roleEcho {
		fmt.Fprintf(os.Stderr, "bench: unknown role %q\n", os.Getenv(roleEnv))
		return 2
	}
	v, _ := strconv.Atoi(os.Getenv(roleMQTT))
	if err := echo(os.Getenv(roleAddr), byte(v)); err != nil {
		fmt.Fprintln(os.Stderr, "echo:", err)
		return 1
	}
	return 0
}

// echo answers every message on the request topic with the same payload on
// the response topic, until the connection closes or echoMaxRun.
func echo(addr string, version byte) error {
	c, err := mqttc.Dial(addr, mqttc.Options{Version: version, ClientID: "bench-echo", ReadBuffer: 64 << 10})
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Subscribe(echoRequestTopic, 10*time.Second); err != nil {
		return err
	}
	fmt.Println("ready")
	_ = c.SetDeadline(time.Now().Add(echoMaxRun))
	for {
		_, p, err := c.ReadPublish()
		if errors.Is(err, mqttc.ErrMalformedPublish) {
			return err
		}
		if err != nil {
			return nil // the broker stopped, or the deadline
		}
		if err := c.Publish(echoResponseTopic, p); err != nil {
			return err
		}
	}
}

// startEcho starts the echo responder on the servers' CPU and waits until it
// has subscribed.
func (h *Harness) startEcho(ctx context.Context, addr string, version byte) (*Server, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("echo responder: %w", err)
	}
	cmd := h.Env.command(ctx, self)
	cmd.Env = append(os.Environ(), roleEnv+"="+roleEcho, roleAddr+"="+addr, roleMQTT+"="+strconv.Itoa(int(version)))
	return h.Env.launch(ctx, "echo", cmd, false, func(line string) string {
		if strings.TrimSpace(line) == "ready" {
			return addr
		}
		return ""
	})
}
