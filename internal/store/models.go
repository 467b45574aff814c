package store

import "time"

// User is a person who signs in: an admin, a manager or a rep.
type User struct {
	ID           int64 `gorm:"primaryKey"`
	Email        string
	Name         string
	Role         string
	PasswordHash string
	DisabledAt   *time.Time
	// SessionEpoch is stored in each browser session; bumping it signs the user out everywhere.
	SessionEpoch int
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// APIToken is a bearer token; only its SHA-256 hash is stored.
type APIToken struct {
	ID         int64 `gorm:"primaryKey"`
	UserID     int64
	Name       string
	TokenHash  string
	Prefix     string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// TableName keeps GORM from guessing "api_tokens" differently.
func (APIToken) TableName() string { return "api_tokens" }

// Workflow is a workflow with its versions' bookkeeping; the definitions live in WorkflowVersion.
type Workflow struct {
	ID            string `gorm:"primaryKey"`
	Name          string
	Description   string
	Enabled       bool
	ActiveVersion *int
	LatestVersion int
	TriggerType   string
	TriggerEvent  string
	CreatedBy     string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// WorkflowVersion is one immutable version of a workflow's definition.
type WorkflowVersion struct {
	WorkflowID  string `gorm:"primaryKey"`
	Version     int    `gorm:"primaryKey;autoIncrement:false"`
	Definition  JSON
	Status      string
	CreatedBy   string
	CreatedAt   time.Time
	PublishedAt *time.Time
}

// Version statuses.
const (
	VersionDraft     = "draft"
	VersionPublished = "published"
	VersionArchived  = "archived"
)

// Execution is one run of a workflow version. Revision guards every change: a writer updates only the revision
// it read, so two workers can never both commit a transition.
type Execution struct {
	ID              string `gorm:"primaryKey"`
	WorkflowID      string
	WorkflowVersion int
	Status          string
	StartedAt       time.Time
	CompletedAt     *time.Time
	UpdatedAt       time.Time
	CurrentStep     string
	Variables       JSON
	// Input is the variables the run started with; nil for runs older than the column.
	Input        JSON
	Outputs      JSON
	State        JSON
	Error        string
	FailedStep   string
	WaitingUntil *time.Time
	TriggerType  string
	TriggerRef   string
	StartedBy    string
	// Test marks a designer's test run: mails and HTTP calls are recorded, not made.
	Test     bool
	Revision int64
}

// LogRow is one WorkflowLogEntry of an execution.
type LogRow struct {
	ID          int64 `gorm:"primaryKey"`
	ExecutionID string
	Timestamp   time.Time
	StepID      string
	StepName    string
	Action      string
	Message     string
	Data        JSON
	DurationMs  *int64
	Reason      string
}

// TableName implements gorm's Tabler.
func (LogRow) TableName() string { return "execution_log" }

// HumanTask is a task a person completes with a form to let an execution go on.
type HumanTask struct {
	ID          string `gorm:"primaryKey"`
	ExecutionID string
	WorkflowID  string
	StepID      string
	Activation  int64
	Assignee    string
	AssigneeID  *int64
	Title       string
	Description string
	FormFields  JSON
	DueAt       *time.Time
	Status      string
	Values      JSON `gorm:"column:values"`
	CompletedBy string
	CompletedAt *time.Time
	// Test marks a task of a designer's test run (its execution's test), which lists leave out.
	Test      bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TaskHolder records that a user holds or held a human task: its assignee at creation and everyone it was
// reassigned to. A rep may read the runs they hold or held a task in, so the row outlives a reassignment.
type TaskHolder struct {
	TaskID      string `gorm:"primaryKey"`
	UserID      int64  `gorm:"primaryKey;autoIncrement:false"`
	ExecutionID string
}

// CRMTask is a to-do for a rep in the CRM (the create_task action writes them).
type CRMTask struct {
	ID             string `gorm:"primaryKey"`
	Title          string
	Description    string
	AssigneeID     *int64
	Priority       string
	DueAt          *time.Time
	Status         string
	ExecutionID    *string
	StepID         string
	IdempotencyKey *string
	RelatedType    *string // lead, contact, company, opportunity: the record the task is about
	RelatedID      *string
	CompletedAt    *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// TableName implements gorm's Tabler.
func (CRMTask) TableName() string { return "crm_tasks" }

// EmailTemplate is a named subject and body, both {{ }} templates, at its latest version.
type EmailTemplate struct {
	Name      string `gorm:"primaryKey"`
	Subject   string
	Body      string
	Version   int
	UpdatedBy string
	UpdatedAt time.Time
}

// EmailTemplateVersion is one saved version of a mail template, kept after later saves.
type EmailTemplateVersion struct {
	Name      string `gorm:"primaryKey"`
	Version   int    `gorm:"primaryKey"`
	Subject   string
	Body      string
	CreatedBy string
	CreatedAt time.Time
}

// Mail is one message in the outbox, unique on its idempotency key.
type Mail struct {
	ID             string `gorm:"primaryKey"`
	IdempotencyKey string
	ExecutionID    *string
	StepID         string
	Template       string
	ToAddress      string
	Subject        string
	Body           string
	Status         string
	Attempts       int
	LastError      string
	CreatedAt      time.Time
	SentAt         *time.Time
	// PossiblyDuplicated says a try interrupted after the server may have had the message came before the
	// one that sent it: the recipient may have it twice (with the same Message-ID).
	PossiblyDuplicated bool
}

// TableName implements gorm's Tabler.
func (Mail) TableName() string { return "mail_outbox" }

// MailAttempt is one try at delivering a mail, written before the mailer talks to the server and finished
// with its outcome after. Outcome is "" while it runs; one still without an outcome when the next try starts
// was interrupted.
type MailAttempt struct {
	MailID     string `gorm:"primaryKey"`
	Number     int    `gorm:"primaryKey;autoIncrement:false"`
	StartedAt  time.Time
	FinishedAt *time.Time
	Outcome    string
	Stage      string // the furthest the SMTP conversation got
	ErrorText  string
}

// Outcomes of a mail attempt.
const (
	AttemptSent        = "sent"
	AttemptFailed      = "failed"
	AttemptInterrupted = "interrupted"
)

// Stages of an SMTP conversation, in order. StageData is recorded just before the final dot of the message,
// StageAccepted with the server's 250 to it: from StageData on, the server may have the mail.
const (
	StageConnect  = "connect"
	StageMail     = "mail"
	StageRcpt     = "rcpt"
	StageData     = "data"
	StageAccepted = "accepted"
)

// Mail statuses.
const (
	MailQueued  = "queued"
	MailSent    = "sent"
	MailFailed  = "failed"
	MailNotSent = "not_sent"
)

// IdempotencyKey is the Idempotency-Key of a request that created something, claimed in the transaction
// that created it, with the answer that request got (Status and the JSON Answer) to give a retry again. Keys
// are a user's own: Scope is whose.
type IdempotencyKey struct {
	Scope       string `gorm:"primaryKey"`
	RequestKey  string `gorm:"primaryKey"`
	Fingerprint string // SHA-256 of what was asked: method, address, user and body
	Status      int
	Answer      string
	CreatedAt   time.Time
}

// Models lists every model, for the test that checks them against the migrated schema.
func Models() []any {
	return []any{&User{}, &APIToken{}, &Workflow{}, &WorkflowVersion{}, &Execution{}, &LogRow{}, &HumanTask{},
		&CRMTask{}, &EmailTemplate{}, &EmailTemplateVersion{}, &Mail{}, &MailAttempt{}, &Event{}, &EventDelivery{}, &ScheduleFire{}, &Webhook{}, &WebhookDelivery{},
		&Company{}, &Contact{}, &Lead{}, &Opportunity{}, &Session{}, &LoginAttempt{}, &AnalyticsRunHour{}, &AnalyticsStepHour{}, &AnalyticsExecution{}, &AnalyticsWatermark{},
		&Secret{}, &TaskHolder{}, &Instance{}, &IdempotencyKey{}, &HealthProbe{}}
}
