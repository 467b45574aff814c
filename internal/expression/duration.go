package expression

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// durationUnits are the units accepted by duration(): Go's own plus days and
// weeks.
var durationUnits = map[string]time.Duration{
	"ns": time.Nanosecond,
	"us": time.Microsecond,
	"µs": time.Microsecond,
	"ms": time.Millisecond,
	"s":  time.Second,
	"m":  time.Minute,
	"h":  time.Hour,
	"d":  24 * time.Hour,
	"w":  7 * 24 * time.Hour,
}

const durationAdvice = `use a span like "72h", "90m", "3d", "2w" or "1d12h"`

// parseDuration parses Go durations ("72h", "1h30m") extended with days and
// weeks ("3d", "2w", "1d12h"). A leading + or - is allowed.
func parseDuration(s string) (time.Duration, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return 0, fmt.Errorf("the duration is empty: %s", durationAdvice)
	}
	rest := in
	sign := 1.0
	if rest[0] == '+' || rest[0] == '-' {
		if rest[0] == '-' {
			sign = -1
		}
		rest = rest[1:]
	}
	if rest == "0" {
		return 0, nil
	}
	if rest == "" {
		return 0, fmt.Errorf("%q is not a duration: %s", in, durationAdvice)
	}
	total := 0.0
	for rest != "" {
		i := 0
		for i < len(rest) && (rest[i] == '.' || ('0' <= rest[i] && rest[i] <= '9')) {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("%q is not a duration: %s", in, durationAdvice)
		}
		n, err := strconv.ParseFloat(rest[:i], 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration: %s", in, durationAdvice)
		}
		rest = rest[i:]
		j := 0
		for j < len(rest) && rest[j] != '.' && (rest[j] < '0' || rest[j] > '9') {
			j++
		}
		unit, ok := durationUnits[rest[:j]]
		if !ok {
			return 0, fmt.Errorf("%q is not a duration: unknown unit %q: %s", in, rest[:j], durationAdvice)
		}
		rest = rest[j:]
		total += n * float64(unit)
	}
	total *= sign
	if total > math.MaxInt64 || total < math.MinInt64 {
		return 0, fmt.Errorf("%q is too long a duration", in)
	}
	return time.Duration(total), nil
}
