# Starling's container image.
#
#   docker build -t starling .
#   docker run -p 1883:1883 -v starling-data:/data starling
#
# Configuration as on any machine: kuzzle_… environment variables
# (docker run -e kuzzle_server__logs__format=json …) or a kuzzlerc file
# (-v ./kuzzlerc:/etc/kuzzlerc:ro, or --config FILE after the image name).
# Wasm modules: mount a directory on /app/plugins/wasm.

# Build stage: a static binary (the SQLite engine is pure Go: no cgo).
FROM golang:1.26 AS build
WORKDIR /src
# Modules first, so that a source change reuses the download layer.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/starling ./cmd/starling \
	&& mkdir -p /out/data

# Final stage: no shell, no package manager; CA certificates, tzdata and
# the nonroot user (uid 65532, home /home/nonroot, where the compiled Wasm
# module cache goes).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/starling /usr/local/bin/starling
# The volume's mount point belongs to the server's user, so that a named
# volume created from it is writable.
COPY --from=build --chown=65532:65532 /out/data /data
WORKDIR /app
ENV kuzzle_storage__path=/data
VOLUME ["/data"]
# 1883: MQTT. 7512: Kuzzle's HTTP and WebSocket port (server.port).
EXPOSE 1883 7512
USER 65532:65532
# The health check asks the HTTP door (GET /_healthcheck, as Kuzzle's). The
# image has no shell nor curl: the binary runs it, reading the configuration
# as the server does to find server.port (and server.tls); a server started
# with --config FILE needs the URL given: `starling healthcheck URL`.
HEALTHCHECK --interval=30s --timeout=6s --start-period=10s --retries=3 \
	CMD ["/usr/local/bin/starling", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/starling"]
