package main

import (
	"context"
	"fmt"
	"time"

	"github.com/starlingmq/starling/bench/internal/mqttc"
)

// The user the authenticated cases log in as.
const (
	benchUser     = "bench-user"
	benchPassword = "bench-password-0123456789"
)

// reqrespAuthenticated adds Starling's authenticated cases: flat out with
// every request carrying a token, beside the anonymous row, and the cost
// of auth:login (Argon2id at its configured cost).
func (h *Harness) reqrespAuthenticated(ctx context.Context, rep *Report, cfg ReqRespConfig) {
	cases := []struct {
		auth  int
		label string
	}{
		{anonymous, "anonymous"},
		{connectedAs, "logged in at CONNECT"},
		{jwtInEach, "a token in each request"},
	}
	rounds := max(cfg.Repeat, 3)
	runs := make([][]Row, len(cases))
	for range rounds { // the cases interleaved, round after round
		for i, c := range cases {
			label := fmt.Sprintf("MQTT 3.1.1, flat out (%d in flight), %s, median of %d", cfg.Window, c.label, rounds)
			row, err := h.reqrespCaseAs(ctx, Starling, 4, 0, cfg, c.auth)
			row.Case, row.Server = label, Starling
			if err != nil {
				row.Note = err.Error()
				h.Log.Error("request/response case failed", "case", label, "err", err)
			}
			runs[i] = append(runs[i], row)
		}
	}
	for i := range cases {
		rep.Add(medianRow(runs[i], "cpu"))
	}
	row, err := h.loginCase(ctx)
	row.Case, row.Server = "auth:login, one connection, one a second (limits.loginsPerSecond)", Starling
	if err != nil {
		row.Note = err.Error()
		h.Log.Error("login case failed", "err", err)
	}
	rep.Add(row)
	rep.Note("security cases: the three requesters run in %d interleaved rounds, each row the run with the median server CPU µs/op. Logged in at CONNECT: the requester's CONNECT carries a user's name and password, its server:now requests no token (the guard verifies the connection's token and the user's rights on each); a token in each request: the requests carry the jwt of a user logged in first, as Kuzzle's SDKs send it; auth:login: p50/p99 are one login's latency and server CPU µs/op one login's CPU, Argon2id with 19 MiB and 2 passes.", rounds)
}

// benchLogin creates the bench user and returns a token for it.
func benchLogin(addr string, version byte) (string, error) {
	c, err := mqttc.Dial(addr, mqttc.Options{Version: version, ClientID: "bench-login"})
	if err != nil {
		return "", err
	}
	defer c.Close()
	create := `{"controller":"security","action":"createUser","_id":"` + benchUser + `","body":{"content":{"profileIds":["admin"]},"credentials":{"local":{"username":"` + benchUser + `","password":"` + benchPassword + `"}}}}`
	if _, err := request(c, []byte(create), 10*time.Second); err != nil {
		return "", fmt.Errorf("create the bench user: %w", err)
	}
	p, err := request(c, loginRequest(), 10*time.Second)
	if err != nil {
		return "", fmt.Errorf("log in: %w", err)
	}
	jwt := stringField(p, "jwt")
	if jwt == "" {
		return "", fmt.Errorf("log in: no token in %s", p)
	}
	return jwt, nil
}

func loginRequest() []byte {
	return []byte(`{"controller":"auth","action":"login","strategy":"local","body":{"username":"` + benchUser + `","password":"` + benchPassword + `"}}`)
}

// loginCase logs in once a second (Kuzzle's default limit per
// connection) for a few seconds and measures each login.
func (h *Harness) loginCase(ctx context.Context) (Row, error) {
	row := Row{Values: map[string]float64{}}
	srv, err := h.Env.Start(ctx, Starling)
	if err != nil {
		return row, err
	}
	defer srv.Stop()
	if _, err := benchLogin(srv.Addr, 4); err != nil {
		return row, err
	}
	c, err := mqttc.Dial(srv.Addr, mqttc.Options{ClientID: "bench-logins"})
	if err != nil {
		return row, err
	}
	defer c.Close()
	m, err := startMeter(srv.PID)
	if err != nil {
		return row, err
	}
	const logins = 5
	rt := &roundTrips{epoch: h.Epoch}
	for i := range logins {
		if i > 0 {
			select {
			case <-time.After(time.Second): // limits.loginsPerSecond: one a second
			case <-ctx.Done():
				return row, ctx.Err()
			}
		}
		start := time.Now()
		if _, err := request(c, loginRequest(), 10*time.Second); err != nil {
			return row, err
		}
		rt.lat.Record(time.Since(start))
	}
	if err := m.end(); err != nil {
		return row, err
	}
	latencies(row.Values, &rt.lat)
	row.Values["cpu"] = micros(m.serverCPU) / logins
	row.Values["rate"] = float64(logins) / m.elapsed.Seconds()
	return row, nil
}
