package actions

import "maps"

// recorded turns what an action would do into a test run's record of it: the output says what would have
// happened, and nothing is written or sent.
func recorded(res Result, would map[string]any) Result {
	out := map[string]any{"test": true}
	maps.Copy(out, would)
	return Result{Output: out, Vars: res.Vars, Message: "Test run, nothing done: " + res.Message}
}
