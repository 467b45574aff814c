package store

import "time"

// AnalyticsRunHour counts the executions of a workflow version that started in one hour (hours since the
// Unix epoch) and have one status now; DurationHist holds the completed ones' durations (package analytics'
// Histogram encoding). Span is 1 for an hour's row and 24 for a UTC day's, whose Hour is the day's first.
type AnalyticsRunHour struct {
	WorkflowID      string `gorm:"primaryKey"`
	Span            int    `gorm:"primaryKey;autoIncrement:false"`
	Hour            int64  `gorm:"primaryKey;autoIncrement:false"`
	WorkflowVersion int    `gorm:"primaryKey;autoIncrement:false"`
	Status          string `gorm:"primaryKey"`
	Runs            int64
	DurationCount   int64
	DurationSumMs   int64
	DurationHist    []byte
}

// TableName implements gorm's Tabler.
func (AnalyticsRunHour) TableName() string { return "analytics_run_hours" }

// AnalyticsStepHour is how one step's attempts ended, over the executions of a workflow version that started
// in one hour (Span 1) or one UTC day (Span 24). Reasons counts failures by class ("timeout:3 http_5xx:1").
type AnalyticsStepHour struct {
	WorkflowID        string `gorm:"primaryKey"`
	Span              int    `gorm:"primaryKey;autoIncrement:false"`
	Hour              int64  `gorm:"primaryKey;autoIncrement:false"`
	WorkflowVersion   int    `gorm:"primaryKey;autoIncrement:false"`
	StepID            string `gorm:"primaryKey"`
	Completed         int64
	Failed            int64
	SkippedFailed     int64
	SkippedOther      int64
	TransientFailures int64
	Reasons           string
	DurationCount     int64
	DurationSumMs     int64
	DurationHist      []byte
	ConditionTrue     int64
	ConditionFalse    int64
	TasksWithDue      int64
	TasksLate         int64
	// InfrastructureRetries are attempts retried because the database did not answer: not failures.
	InfrastructureRetries int64
}

// TableName implements gorm's Tabler.
func (AnalyticsStepHour) TableName() string { return "analytics_step_hours" }

// AnalyticsExecution is how an execution is counted in the run rollup now.
type AnalyticsExecution struct {
	ExecutionID     string `gorm:"primaryKey"`
	WorkflowID      string
	WorkflowVersion int
	Hour            int64
	Status          string
	DurationMs      *int64
}

// TableName implements gorm's Tabler.
func (AnalyticsExecution) TableName() string { return "analytics_executions" }

// AnalyticsWatermark says how far the rollups have read a table: every row with an id up to Position.
type AnalyticsWatermark struct {
	Name      string `gorm:"primaryKey"`
	Position  int64
	UpdatedAt *time.Time
}

// TableName implements gorm's Tabler.
func (AnalyticsWatermark) TableName() string { return "analytics_watermarks" }
