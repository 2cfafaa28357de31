package cluster

//go:generate protoc --go_out=. --go_opt=paths=source_relative events.proto
