package analytics

import (
	"encoding/binary"
	"errors"
	"math/bits"
	"slices"
)

// Durations are kept in log-scale buckets: every value below 64 ms has its own bucket, and above that each
// power of two is cut into 32 buckets of equal width, so a bucket [lo, hi) is at most 1/32 of lo wide. A
// bucket also keeps the sum of its values, and a percentile answers the mean of the bucket that holds it:
// exact when the values in that bucket are equal, and otherwise off by less than the bucket's width, that is
// by less than 3.2 % of the true value. Sums and counts are exact, so means are exact.
const (
	subBits   = 5
	subCount  = 1 << subBits // buckets per power of two
	linearMax = 2 * subCount // values below this have a bucket each
)

// PercentileError is the largest relative error of a percentile taken from a Histogram.
const PercentileError = 1.0 / subCount

// bucketIndex is the bucket a duration in ms falls in; negative durations (clock steps) count as 0.
func bucketIndex(v int64) int32 {
	if v < linearMax {
		return int32(max(v, 0))
	}
	e := bits.Len64(uint64(v)) - 1 // the power of two below v, at least 6
	m := v >> (e - subBits)        // the top 6 bits: 32 … 63
	return int32(linearMax + (e-subBits-1)*subCount + int(m-subCount))
}

// bucketBounds is the range [lo, hi) of values in bucket i.
func bucketBounds(i int32) (lo, hi int64) {
	if i < linearMax {
		return int64(i), int64(i) + 1
	}
	j := int(i) - linearMax
	e := j/subCount + subBits + 1
	m := int64(j%subCount + subCount)
	shift := e - subBits
	return m << shift, (m + 1) << shift
}

// Bucket is one bucket of a Histogram: how many values fell in it and their sum.
type Bucket struct {
	Index int32
	Count int64
	Sum   int64
}

// Histogram counts durations in ms. The zero value is empty and ready to use.
type Histogram struct {
	b []Bucket // sorted by Index, no empty buckets
}

// Add records one duration.
func (h *Histogram) Add(ms int64) { h.add(ms, 1) }

// Remove takes one recorded duration away again (a run whose status changed).
func (h *Histogram) Remove(ms int64) { h.add(ms, -1) }

func (h *Histogram) add(ms int64, n int64) {
	ms = max(ms, 0)
	i := bucketIndex(ms)
	pos, found := slices.BinarySearchFunc(h.b, i, func(b Bucket, i int32) int { return int(b.Index - i) })
	if !found {
		h.b = slices.Insert(h.b, pos, Bucket{Index: i})
	}
	h.b[pos].Count += n
	h.b[pos].Sum += n * ms
	if h.b[pos].Count == 0 && h.b[pos].Sum == 0 {
		h.b = slices.Delete(h.b, pos, pos+1)
	}
}

// Merge adds every value of o.
func (h *Histogram) Merge(o Histogram) {
	if len(o.b) == 0 {
		return
	}
	if len(h.b) == 0 {
		h.b = slices.Clone(o.b)
		return
	}
	out := make([]Bucket, 0, len(h.b)+len(o.b))
	i, j := 0, 0
	for i < len(h.b) || j < len(o.b) {
		switch {
		case j == len(o.b) || (i < len(h.b) && h.b[i].Index < o.b[j].Index):
			out = append(out, h.b[i])
			i++
		case i == len(h.b) || o.b[j].Index < h.b[i].Index:
			out = append(out, o.b[j])
			j++
		default:
			b := Bucket{Index: h.b[i].Index, Count: h.b[i].Count + o.b[j].Count, Sum: h.b[i].Sum + o.b[j].Sum}
			if b.Count != 0 || b.Sum != 0 {
				out = append(out, b)
			}
			i++
			j++
		}
	}
	h.b = out
}

// Count is how many durations were recorded.
func (h Histogram) Count() int64 {
	var n int64
	for _, b := range h.b {
		n += b.Count
	}
	return n
}

// Sum is the total of the recorded durations.
func (h Histogram) Sum() int64 {
	var s int64
	for _, b := range h.b {
		s += b.Sum
	}
	return s
}

// Buckets returns the non-empty buckets in order.
func (h Histogram) Buckets() []Bucket { return slices.Clone(h.b) }

// Percentile is the nearest-rank p-th percentile (0 < p ≤ 100): the value at rank ⌈p/100 × n⌉ in sorted
// order, approximated by the mean of its bucket (see PercentileError). ok is false when there are no values.
func (h Histogram) Percentile(p float64) (ms int64, ok bool) {
	n := h.Count()
	if n <= 0 {
		return 0, false
	}
	rank := int64(ceilDiv(p*float64(n), 100))
	rank = min(max(rank, 1), n)
	var seen int64
	for _, b := range h.b {
		seen += b.Count
		if seen >= rank {
			return roundDiv(b.Sum, b.Count), true
		}
	}
	last := h.b[len(h.b)-1]
	return roundDiv(last.Sum, last.Count), true
}

// ceilDiv is ⌈x / d⌉ for the small products of a percentile and a count, computed so that 50 % of 4 is
// exactly rank 2 (floating point alone could make it 2.0000000001 and round it up to 3).
func ceilDiv(x float64, d float64) float64 {
	q := x / d
	r := float64(int64(q))
	if q-r > 1e-9 {
		return r + 1
	}
	return r
}

// roundDiv is a / b rounded half away from zero.
func roundDiv(a, b int64) int64 {
	if b == 0 {
		return 0
	}
	if (a < 0) != (b < 0) {
		return -((-a + b/2) / b)
	}
	return (a + b/2) / b
}

// Range is a range of durations [FromMs, ToMs) with how many fell in it: one bar of a distribution chart.
type Range struct {
	FromMs int64 `json:"fromMs"`
	ToMs   int64 `json:"toMs"`
	Count  int64 `json:"count"`
}

// Distribution groups the histogram into powers of two (below 64 ms: one range [0, 64)), from the first
// non-empty range to the last, empty ones in between included, for a bar chart.
func (h Histogram) Distribution() []Range {
	if len(h.b) == 0 {
		return []Range{}
	}
	octave := func(i int32) int {
		if i < linearMax {
			return 0
		}
		return 1 + (int(i)-linearMax)/subCount
	}
	bounds := func(o int) (int64, int64) {
		if o == 0 {
			return 0, linearMax
		}
		lo := int64(linearMax) << (o - 1)
		return lo, 2 * lo
	}
	first, last := octave(h.b[0].Index), octave(h.b[len(h.b)-1].Index)
	out := make([]Range, 0, last-first+1)
	for o := first; o <= last; o++ {
		lo, hi := bounds(o)
		out = append(out, Range{FromMs: lo, ToMs: hi})
	}
	for _, b := range h.b {
		out[octave(b.Index)-first].Count += b.Count
	}
	return out
}

// Encode is the histogram in a compact binary form (varints: count of buckets, then per bucket the index
// step, the count and the sum), for a rollup row.
func (h Histogram) Encode() []byte {
	if len(h.b) == 0 {
		return nil
	}
	buf := make([]byte, 0, 1+len(h.b)*8)
	buf = binary.AppendUvarint(buf, uint64(len(h.b)))
	var prev int32
	for _, b := range h.b {
		buf = binary.AppendUvarint(buf, uint64(b.Index-prev))
		buf = binary.AppendVarint(buf, b.Count)
		buf = binary.AppendVarint(buf, b.Sum)
		prev = b.Index
	}
	return buf
}

var errBadHistogram = errors.New("a stored duration histogram is damaged")

// DecodeHistogram reads what Encode wrote; empty input is an empty histogram.
func DecodeHistogram(buf []byte) (Histogram, error) {
	if len(buf) == 0 {
		return Histogram{}, nil
	}
	n, k := binary.Uvarint(buf)
	if k <= 0 || n > uint64(len(buf)) {
		return Histogram{}, errBadHistogram
	}
	buf = buf[k:]
	out := make([]Bucket, 0, n)
	var idx int32
	for range n {
		step, k1 := binary.Uvarint(buf)
		if k1 <= 0 {
			return Histogram{}, errBadHistogram
		}
		buf = buf[k1:]
		count, k2 := binary.Varint(buf)
		if k2 <= 0 {
			return Histogram{}, errBadHistogram
		}
		buf = buf[k2:]
		sum, k3 := binary.Varint(buf)
		if k3 <= 0 {
			return Histogram{}, errBadHistogram
		}
		buf = buf[k3:]
		idx += int32(step)
		out = append(out, Bucket{Index: idx, Count: count, Sum: sum})
	}
	if len(buf) != 0 {
		return Histogram{}, errBadHistogram
	}
	return Histogram{b: out}, nil
}

// maxBuckets bounds the bucket index of any int64 duration.
const maxBuckets = linearMax + (63-subBits)*subCount

// HistogramSum adds up many histograms in dense arrays: merging thousands of hourly histograms into one this
// way costs a pass over each, where merging sorted lists pair by pair would copy the growing result each time.
type HistogramSum struct {
	count, sum [maxBuckets]int64
	lo, hi     int32 // the range of indexes touched
	any        bool
}

// Add adds every value of h.
func (s *HistogramSum) Add(h Histogram) {
	for _, b := range h.b {
		s.count[b.Index] += b.Count
		s.sum[b.Index] += b.Sum
		if !s.any || b.Index < s.lo {
			s.lo = b.Index
		}
		if !s.any || b.Index > s.hi {
			s.hi = b.Index
		}
		s.any = true
	}
}

// Histogram is the total.
func (s *HistogramSum) Histogram() Histogram {
	if !s.any {
		return Histogram{}
	}
	var out []Bucket
	for i := s.lo; i <= s.hi; i++ {
		if s.count[i] != 0 || s.sum[i] != 0 {
			out = append(out, Bucket{Index: i, Count: s.count[i], Sum: s.sum[i]})
		}
	}
	return Histogram{b: out}
}
