// Package nettest gives tests ports that a program they start must bind
// itself, when it cannot be told to pick one (port 0) and say which:
// cluster membership ports, which every node must know in advance.
//
// nettest imports nothing of the module.
package nettest
