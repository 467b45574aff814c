//go:build race

package storetest

// raceDetector says the binary runs under the race detector.
const raceDetector = true
