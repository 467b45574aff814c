package analytics

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestBucketsCoverEveryDurationTightly(t *testing.T) {
	t.Parallel()
	values := []int64{0, 1, 63, 64, 65, 127, 128, 1000, 1500, 4095, 4096, 60_000, 86_400_000, 31_622_400_000}
	for range 2000 {
		values = append(values, rand.Int64N(40_000_000_000))
	}
	for _, v := range values {
		lo, hi := bucketBounds(bucketIndex(v))
		if v < lo || v >= hi {
			t.Fatalf("%d falls in bucket %d = [%d, %d)", v, bucketIndex(v), lo, hi)
		}
		if v >= linearMax && float64(hi-lo) > float64(lo)*PercentileError {
			t.Fatalf("bucket [%d, %d) of %d is wider than %.3f of its start", lo, hi, v, PercentileError)
		}
		if v < linearMax && hi-lo != 1 {
			t.Fatalf("%d below %d should have a bucket of its own, got [%d, %d)", v, linearMax, lo, hi)
		}
	}
	if bucketIndex(-5) != 0 {
		t.Fatal("a negative duration should count as 0")
	}
}

// nearestRank is the exact p-th percentile of sorted values.
func nearestRank(sorted []int64, p float64) int64 {
	rank := int(ceilDiv(p*float64(len(sorted)), 100))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

func TestPercentiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		values []int64
		p      float64
		want   int64
	}{
		{"median of an odd count", []int64{1000, 2000, 6000}, 50, 2000},
		{"median of an even count takes the lower middle", []int64{100, 200, 300, 400}, 50, 200},
		{"p95 of twenty is the 19th", []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}, 95, 19},
		{"p95 of 21 is the 20th", []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21}, 95, 20},
		{"equal values in one bucket are exact", []int64{150_000, 150_000, 150_000, 900_000}, 50, 150_000},
		{"one value", []int64{86_400_000}, 95, 86_400_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var h Histogram
			for _, v := range tt.values {
				h.Add(v)
			}
			got, ok := h.Percentile(tt.p)
			if !ok || got != tt.want {
				t.Fatalf("p%v of %v = %d, %v; want %d", tt.p, tt.values, got, ok, tt.want)
			}
		})
	}
	var empty Histogram
	if _, ok := empty.Percentile(50); ok {
		t.Fatal("an empty histogram has a median")
	}
}

func TestPercentilesStayWithinTheirErrorBound(t *testing.T) {
	t.Parallel()
	for trial := range 50 {
		n := 1 + rand.IntN(5000)
		values := make([]int64, n)
		var h Histogram
		for i := range values {
			values[i] = int64(rand.ExpFloat64() * 20_000)
			h.Add(values[i])
		}
		slices.Sort(values)
		for _, p := range []float64{1, 50, 90, 95, 99, 100} {
			got, _ := h.Percentile(p)
			want := nearestRank(values, p)
			if diff := float64(abs(got - want)); diff > float64(want)*PercentileError && diff > 1 {
				t.Fatalf("trial %d: p%v = %d, exact %d: off by more than %.1f %%", trial, p, got, want, 100*PercentileError)
			}
		}
		if h.Count() != int64(n) {
			t.Fatalf("count %d, want %d", h.Count(), n)
		}
	}
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

func TestHistogramEncodeMergeRemove(t *testing.T) {
	t.Parallel()
	var a, b Histogram
	for _, v := range []int64{5, 70, 70, 1_000, 123_456} {
		a.Add(v)
	}
	for _, v := range []int64{5, 2_000, 123_456} {
		b.Add(v)
	}
	dec, err := DecodeHistogram(a.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(dec.Buckets(), a.Buckets()) {
		t.Fatalf("decoded %v, want %v", dec.Buckets(), a.Buckets())
	}
	a.Merge(b)
	if a.Count() != 8 || a.Sum() != 5+70+70+1_000+123_456+5+2_000+123_456 {
		t.Fatalf("merged count %d sum %d", a.Count(), a.Sum())
	}
	for _, v := range []int64{5, 2_000, 123_456} {
		a.Remove(v)
	}
	dec, _ = DecodeHistogram(a.Encode())
	a2, _ := DecodeHistogram(dec.Encode())
	if a2.Count() != 5 || len(a2.Buckets()) != 4 {
		t.Fatalf("after removing b: %v", a2.Buckets())
	}
	if _, err := DecodeHistogram([]byte{3, 1}); err == nil {
		t.Fatal("a truncated histogram decoded")
	}
	if h, err := DecodeHistogram(nil); err != nil || h.Count() != 0 {
		t.Fatal("empty input should be an empty histogram")
	}
}

func TestDistributionIsContiguous(t *testing.T) {
	t.Parallel()
	var h Histogram
	for _, v := range []int64{10, 100, 100, 5000} {
		h.Add(v)
	}
	got := h.Distribution()
	want := []Range{{0, 64, 1}, {64, 128, 2}, {128, 256, 0}, {256, 512, 0}, {512, 1024, 0}, {1024, 2048, 0}, {2048, 4096, 0}, {4096, 8192, 1}}
	if !slices.Equal(got, want) {
		t.Fatalf("distribution = %v, want %v", got, want)
	}
}

func TestReasonsRoundTrip(t *testing.T) {
	t.Parallel()
	m := map[string]int64{"timeout": 12, "http_5xx": 3}
	s := EncodeReasons(m)
	if s != "http_5xx:3 timeout:12" {
		t.Fatalf("encoded %q", s)
	}
	back, err := DecodeReasons(s)
	if err != nil || len(back) != 2 || back["timeout"] != 12 {
		t.Fatalf("decoded %v, %v", back, err)
	}
	if _, err := DecodeReasons("timeout"); err == nil {
		t.Fatal("a damaged value decoded")
	}
}
