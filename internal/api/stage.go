package api

// Stage is one of the events a request goes through in Kuzzle's funnel,
// where plugins' pipes and hooks run. The dispatcher fires them and the
// Wasm host runs the modules listening to them.
type Stage int

// The stages of a request, in the order they fire.
const (
	// StageExecution is request:onExecution, before the action.
	StageExecution Stage = iota
	// StageBefore is CONTROLLER:beforeACTION, before the action.
	StageBefore
	// StageAfter is CONTROLLER:afterACTION, after the action succeeded.
	StageAfter
	// StageSuccess is request:onSuccess, after StageAfter.
	StageSuccess
	// StageError is CONTROLLER:errorACTION, when anything above failed.
	StageError
	// StageOnError is request:onError, when StageError left a failure.
	StageOnError
	// NumStages is the number of stages.
	NumStages
)

// ChangesRequest reports whether the stage's pipes may change the request
// (the stages before the action).
func (s Stage) ChangesRequest() bool { return s == StageExecution || s == StageBefore }
