package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/starlingmq/starling/internal/config"
)

// healthcheckTimeout bounds one check, connection and answer included.
const healthcheckTimeout = 5 * time.Second

// runHealthcheck is `starling healthcheck [URL]`: it asks a running node
// whether it is up and exits 0 when the answer is a 2xx status, 1
// otherwise (saying why on stderr), 2 on bad arguments. The image has no
// shell nor curl, so that Docker's HEALTHCHECK and compose health checks
// run this. Without URL it reads the configuration as the server does
// (src: the same kuzzle_… variables and kuzzlerc files) and asks
// GET /_healthcheck on server.port of the loopback address, over HTTPS
// when server.tls is on; a server.tls.clientCA that demands a client
// certificate makes this check fail.
func runHealthcheck(args []string, src config.Sources, stderr io.Writer) int {
	if len(args) > 1 {
		fmt.Fprintln(stderr, "usage: starling healthcheck [URL]")
		return 2
	}
	var url string
	insecure := false
	if len(args) == 1 {
		url = args[0]
	} else {
		cfg, err := config.Load(src)
		if err != nil {
			fmt.Fprintf(stderr, "starling healthcheck: %v\n", err)
			return 1
		}
		url, insecure = healthcheckURL(cfg.Server)
	}
	if err := checkHealth(url, insecure); err != nil {
		fmt.Fprintf(stderr, "starling healthcheck: %v\n", err)
		return 1
	}
	return 0
}

// healthcheckURL returns the URL of the local node's /_healthcheck, and
// whether its certificate goes unverified: the check asks this machine's
// server whether it answers, not who it is, and its certificate names the
// public host rather than the loopback address.
func healthcheckURL(s config.Server) (url string, insecure bool) {
	host := s.Host
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	scheme := "http"
	if s.TLS.Enabled {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, strconv.Itoa(s.Port)) + "/_healthcheck", s.TLS.Enabled
}

// checkHealth GETs url and fails unless the status is 2xx.
func checkHealth(url string, insecure bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), healthcheckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("bad URL %q: %w", url, err)
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if insecure {
		transport.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} // see healthcheckURL
	}
	client := &http.Client{Transport: transport}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}
