package server_test

import (
	"flag"
	"os"
	"runtime"
	"strconv"
	"testing"
)

// TestMain lets more of the parallel tests run at once than go test's default of one per core: these tests
// spend most of their time waiting on browsers, child processes, timers and the database, not on the CPU
// (a whole `go test ./...` kept 2 cores 38 % busy). An explicit -parallel wins.
func TestMain(m *testing.M) {
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if !explicit {
		perCore := 4
		if raceDetector {
			perCore = 2 // the race detector makes the same tests several times heavier on the CPU
		}
		_ = flag.Set("test.parallel", strconv.Itoa(perCore*runtime.GOMAXPROCS(0)))
	}
	code := m.Run()
	browsers.stop()
	os.Exit(code)
}
