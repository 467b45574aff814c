package storetest

import (
	"flag"
	"runtime"
	"strconv"
)

// RaiseParallel lets perCore parallel tests per core run at once instead of go test's default of one, for a
// package whose tests spend most of their time waiting on databases, mail servers, timers, browsers and child
// processes rather than on the CPU. Under the race detector, which makes the same tests several times
// heavier on the CPU, half as many. An explicit -parallel wins. Call it from TestMain, before m.Run.
func RaiseParallel(perCore int) {
	if !flag.Parsed() {
		flag.Parse()
	}
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if explicit {
		return
	}
	if raceDetector {
		perCore = max(1, perCore/2)
	}
	_ = flag.Set("test.parallel", strconv.Itoa(perCore*runtime.GOMAXPROCS(0)))
}
