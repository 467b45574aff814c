//go:build race

package server_test

// raceDetector says the tests run under the race detector, which slows everything down many times over:
// timing comparisons are left to the run without it.
const raceDetector = true
