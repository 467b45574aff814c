// Package analytics computes what managers see about their workflows — metrics, and optimization
// suggestions with the change that applies them — as pure functions over aggregates and definitions. The
// aggregates come from hourly rollups (package rollup keeps them up to date and reads them); nothing here
// touches a database or reads a clock.
package analytics

import (
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Execution statuses as stored.
const (
	StatusRunning   = "running"
	StatusPaused    = "paused"
	StatusCompleted = "completed"
	StatusFailed    = "failed"
	StatusCancelled = "cancelled"
)

// Reasons of skipped entries that are not failures of the step itself (another branch failed, or someone
// cancelled the run): they are not attempts.
const (
	reasonCancelled = "cancelled"
	reasonHalted    = "halted"
)

// reasonInfrastructure is the class of a "failed" entry the engine logs when the database cut an attempt
// short and the step is tried again (workflow.ClassInfrastructure): not the step's failure, so it counts
// in InfraRetries and nowhere else — not in failures, failure rates, reasons or durations.
const reasonInfrastructure = "infrastructure"

// HourOf is the UTC hour number of t (hours since the Unix epoch): the unit of the rollups.
func HourOf(t time.Time) int64 {
	s := t.Unix()
	h := s / 3600
	if s < 0 && s%3600 != 0 {
		h--
	}
	return h
}

// HourStart is the first instant of hour number h.
func HourStart(h int64) time.Time { return time.Unix(h*3600, 0).UTC() }

// RunKey identifies the executions of one workflow version that started in one hour and now have one status.
type RunKey struct {
	Workflow string
	Version  int
	Hour     int64
	Status   string
}

// RunCell counts those executions; Durations holds completedAt − startedAt of the completed ones.
type RunCell struct {
	Runs      int64
	Durations Histogram
}

// StepKey identifies one step of one workflow version, over the executions that started in one hour.
type StepKey struct {
	Workflow string
	Version  int
	Hour     int64
	Step     string
}

// StepCell is what the log says about a step: how its attempts ended, why they failed, how long they took.
type StepCell struct {
	Completed     int64 // attempts that completed
	Failed        int64 // attempts that failed (retried or failing the run)
	SkippedFailed int64 // attempts that failed with onError=continue
	SkippedOther  int64 // activations stopped by a cancel or another branch's failure: not attempts
	Transient     int64 // failures that may pass on retry: timeout, 5xx, network, 429/408
	Reasons       map[string]int64
	// Durations of ended attempts (completed or failed): an action's attempt, a delay's or a task's whole
	// wait, a parallel step's branches.
	Durations      Histogram
	ConditionTrue  int64 // a condition's evaluations by result
	ConditionFalse int64
	TasksWithDue   int64 // completed human tasks that had a due date
	TasksLate      int64 // … and were completed after it
	InfraRetries   int64 // attempts the database cut short and the engine tried again: not attempts
}

// Attempts are the step's ended attempts: completed, failed, or failed and skipped.
func (c *StepCell) Attempts() int64 { return c.Completed + c.Failed + c.SkippedFailed }

// Failures are the attempts that failed.
func (c *StepCell) Failures() int64 { return c.Failed + c.SkippedFailed }

// Merge adds o.
func (c *StepCell) Merge(o *StepCell) {
	c.mergeCounts(o)
	c.Durations.Merge(o.Durations)
}

// mergeCounts adds o's counts, not its durations.
func (c *StepCell) mergeCounts(o *StepCell) {
	c.Completed += o.Completed
	c.Failed += o.Failed
	c.SkippedFailed += o.SkippedFailed
	c.SkippedOther += o.SkippedOther
	c.Transient += o.Transient
	for k, v := range o.Reasons {
		if c.Reasons == nil {
			c.Reasons = map[string]int64{}
		}
		c.Reasons[k] += v
	}
	c.ConditionTrue += o.ConditionTrue
	c.ConditionFalse += o.ConditionFalse
	c.TasksWithDue += o.TasksWithDue
	c.TasksLate += o.TasksLate
	c.InfraRetries += o.InfraRetries
}

// EncodeReasons writes reason counts compactly ("http_5xx:3 timeout:12"), sorted, for a rollup row.
func EncodeReasons(m map[string]int64) string {
	if len(m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k, v := range m {
		if v != 0 {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k)
		b.WriteByte(':')
		b.WriteString(strconv.FormatInt(m[k], 10))
	}
	return b.String()
}

var errBadReasons = errors.New("stored failure reasons are damaged")

// DecodeReasons reads what EncodeReasons wrote.
func DecodeReasons(s string) (map[string]int64, error) {
	if s == "" {
		return nil, nil
	}
	m := map[string]int64{}
	for part := range strings.FieldsSeq(s) {
		k, v, ok := strings.Cut(part, ":")
		n, err := strconv.ParseInt(v, 10, 64)
		if !ok || err != nil {
			return nil, errBadReasons
		}
		m[k] += n
	}
	return m, nil
}

// Aggregates are rollup cells: what metrics and suggestions are computed from.
type Aggregates struct {
	Runs  map[RunKey]*RunCell
	Steps map[StepKey]*StepCell
}

// NewAggregates is empty aggregates.
func NewAggregates() *Aggregates {
	return &Aggregates{Runs: map[RunKey]*RunCell{}, Steps: map[StepKey]*StepCell{}}
}

// Run is the cell of k, created when missing.
func (a *Aggregates) Run(k RunKey) *RunCell {
	c := a.Runs[k]
	if c == nil {
		c = &RunCell{}
		a.Runs[k] = c
	}
	return c
}

// Step is the cell of k, created when missing.
func (a *Aggregates) Step(k StepKey) *StepCell {
	c := a.Steps[k]
	if c == nil {
		c = &StepCell{}
		a.Steps[k] = c
	}
	return c
}

// Merge adds o's cells.
func (a *Aggregates) Merge(o *Aggregates) {
	for k, c := range o.Runs {
		r := a.Run(k)
		r.Runs += c.Runs
		r.Durations.Merge(c.Durations)
	}
	for k, c := range o.Steps {
		a.Step(k).Merge(c)
	}
}

// Execution is an execution as the metrics count it.
type Execution struct {
	ID          string
	Workflow    string
	Version     int
	Status      string
	StartedAt   time.Time
	CompletedAt *time.Time
	Test        bool
}

// Counted is how an execution counts: its cell and, when it completed, its duration in ms. ok is false for
// test runs, which stay out of every metric.
func (e Execution) Counted() (k RunKey, durationMs int64, hasDuration bool, ok bool) {
	if e.Test {
		return RunKey{}, 0, false, false
	}
	k = RunKey{Workflow: e.Workflow, Version: e.Version, Hour: HourOf(e.StartedAt), Status: e.Status}
	if e.Status == StatusCompleted && e.CompletedAt != nil {
		return k, e.CompletedAt.Sub(e.StartedAt).Milliseconds(), true, true
	}
	return k, 0, false, true
}

// AddRun adds (sign 1) or takes away (sign −1) one execution's contribution.
func (a *Aggregates) AddRun(k RunKey, durationMs int64, hasDuration bool, sign int64) {
	c := a.Run(k)
	c.Runs += sign
	if hasDuration {
		c.Durations.add(max(durationMs, 0), sign)
	}
}

// LogEntry is one execution log row with what the metrics need of its execution.
type LogEntry struct {
	Workflow         string
	Version          int
	ExecutionStarted time.Time
	Test             bool
	Step             string
	Action           string // started, completed, failed, skipped
	DurationMs       *int64
	Reason           string
	// Message is read only for http_4xx and network failures, to tell the ones retrying cannot fix apart: a
	// 4xx other than 429 and 408, a certificate that is not valid.
	Message         string
	ConditionResult *bool // a condition's completion
	// Task is set on the completion of a human task: its due date, if it had one, and when it was done.
	Task *TaskOutcome
	At   time.Time
}

// TaskOutcome is a completed human task's due date.
type TaskOutcome struct {
	DueAt *time.Time
}

// retryableStatus matches call_api's message for the 4xx answers that may pass on retry.
var retryableStatus = regexp.MustCompile(`answered (429|408)\b`)

// badCertificate matches call_api's message for a server certificate that is not valid: a network failure
// that call_api marks permanent, since a certificate does not fix itself between retries.
var badCertificate = regexp.MustCompile(`certificate is not valid`)

// Transient reports whether a failure of this class (and message) may pass on retry, as call_api classifies
// it (the log keeps the class and the message, not that verdict).
func Transient(reason, message string) bool {
	switch reason {
	case "timeout", "http_5xx":
		return true
	case "network":
		return !badCertificate.MatchString(message)
	case "http_4xx":
		return retryableStatus.MatchString(message)
	}
	return false
}

// AddLog folds one log entry into its step's cell. "started" entries count nothing: how a step ended does.
func (a *Aggregates) AddLog(e LogEntry) {
	if e.Test {
		return
	}
	k := StepKey{Workflow: e.Workflow, Version: e.Version, Hour: HourOf(e.ExecutionStarted), Step: e.Step}
	var c *StepCell
	switch e.Action {
	case "completed":
		c = a.Step(k)
		c.Completed++
		if e.ConditionResult != nil {
			if *e.ConditionResult {
				c.ConditionTrue++
			} else {
				c.ConditionFalse++
			}
		}
		if e.Task != nil && e.Task.DueAt != nil {
			c.TasksWithDue++
			if e.At.After(*e.Task.DueAt) {
				c.TasksLate++
			}
		}
	case "failed":
		c = a.Step(k)
		if e.Reason == reasonInfrastructure {
			c.InfraRetries++
			return
		}
		c.Failed++
	case "skipped":
		c = a.Step(k)
		if e.Reason == "" || e.Reason == reasonCancelled || e.Reason == reasonHalted {
			c.SkippedOther++
			return
		}
		c.SkippedFailed++
	default:
		return
	}
	if e.Action != "completed" {
		reason := e.Reason
		if reason == "" {
			reason = "other"
		}
		if c.Reasons == nil {
			c.Reasons = map[string]int64{}
		}
		c.Reasons[reason]++
		if Transient(e.Reason, e.Message) {
			c.Transient++
		}
	}
	if e.DurationMs != nil {
		c.Durations.Add(*e.DurationMs)
	}
}
