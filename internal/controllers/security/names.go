package security

import (
	"crypto/rand"
	"math/big"
	"strconv"
	"strings"

	"github.com/starlingmq/starling/internal/api"
)

// Words of generated kuids, in the manner of Kuzzle's NameGenerator
// (whose lists are longer).
const (
	kuidAdjectives = "amused brave calm clever eager fancy gentle happy jolly kind lively lucky " +
		"merry nimble polite proud quiet rapid shiny silly swift tidy witty zealous"
	kuidNames = "albatross badger beaver bison condor falcon ferret gecko heron ibis jackal koala " +
		"lemur lynx marmot narwhal otter panda quokka raven salmon tapir walrus yak"
)

// generatedKuid is a kuid for a user created without _id: with human,
// Kuzzle's "kuid-<adjective>-<name>-<0..99999>", otherwise "kuid-<uuid>".
func generatedKuid(human bool) string {
	if !human {
		return "kuid-" + api.NewID()
	}
	adjectives, names := strings.Fields(kuidAdjectives), strings.Fields(kuidNames)
	return "kuid-" + adjectives[randomInt(len(adjectives))] + "-" +
		names[randomInt(len(names))] + "-" + strconv.Itoa(randomInt(100000))
}

// randomInt is a random integer in [0, n).
func randomInt(n int) int {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		return 0 // crypto/rand does not fail on supported platforms
	}
	return int(v.Int64())
}
