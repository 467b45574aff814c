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
	// Timezone is the IANA zone the user reads dates in ("" is UTC).
	Timezone string
	// Notify is how the user hears of their tasks: NotifyEach (a mail each), NotifyDigest, NotifyNone.
	Notify string `gorm:"default:each"`
	// ManagerID is whom escalations "to the manager" go to.
	ManagerID *int64
	// AwayFrom and AwayTo are the user's out-of-office dates; tasks given to them then go to the delegate.
	AwayFrom       *time.Time
	AwayTo         *time.Time
	AwayDelegateID *int64
	DigestSentAt   *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// How a user hears of their tasks.
const (
	NotifyEach   = "each"
	NotifyDigest = "digest"
	NotifyNone   = "none"
)

// AwayAt reports whether the user is out of office at t with a delegate to stand in.
func (u *User) AwayAt(t time.Time) bool {
	return u.AwayDelegateID != nil && u.AwayFrom != nil && u.AwayTo != nil && !t.Before(*u.AwayFrom) && t.Before(*u.AwayTo)
}

// Team is a group of users that tasks may go to; Calendar is its working calendar as JSON ("" for the
// company's). Handed counts the tasks it gave by round robin.
type Team struct {
	Name      string `gorm:"primaryKey"`
	Calendar  string
	Handed    int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TeamMember puts a user in a team.
type TeamMember struct {
	TeamName string `gorm:"primaryKey"`
	UserID   int64  `gorm:"primaryKey;autoIncrement:false"`
}

// CompanySetting is one company-wide setting, as JSON.
type CompanySetting struct {
	Key       string `gorm:"primaryKey"`
	Value     string
	UpdatedAt time.Time
}

// PendingNotification waits for the daily digest of a user who chose one.
type PendingNotification struct {
	ID        int64 `gorm:"primaryKey"`
	UserID    int64
	TaskID    string
	Kind      string
	Line      string
	CreatedAt time.Time
}

// CRMTaskComment is a comment on a CRM to-do.
type CRMTaskComment struct {
	ID        int64 `gorm:"primaryKey"`
	CRMTaskID string
	Author    string
	Body      string
	CreatedAt time.Time
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
	// The record the run is about ("" for none) and its business keys (a JSON object of name → value).
	SubjectEntity, SubjectID, SubjectLabel string
	BusinessKeys                           JSON
}

// ExecutionTerm is one search term of an execution (Executions.SearchTerms).
type ExecutionTerm struct {
	Term        string `gorm:"primaryKey"`
	ExecutionID string `gorm:"primaryKey"`
}

// ExecutionChange is something a person changed in a run besides running it: variables edited, the record
// refreshed, a retry from an earlier step, a step skipped. Before and After are JSON values.
type ExecutionChange struct {
	ID          int64 `gorm:"primaryKey"`
	ExecutionID string
	ChangedAt   time.Time
	ChangedBy   string
	Kind        string
	StepID      string
	Message     string
	BeforeValue JSON
	AfterValue  JSON
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
	Test bool
	// Team is the team whose queue the task is in; with no assignee it waits there to be claimed.
	Team *string
	// DelegatedFrom is the user the task was for when it went to their delegate; TouchedAt is when the
	// delegate first opened it (a touched task stays with the delegate when the user returns).
	DelegatedFrom *int64
	TouchedAt     *time.Time
	// SLA is the task's reminders and escalation (TaskSLA); NextTimerAt the earliest instant still to fire.
	SLA         JSON `gorm:"column:sla"`
	NextTimerAt *time.Time
	// About is whom the task is about (a workflow.RecordCard), as the run held its record when the task
	// was made; nil for a run about no record.
	About     JSON `gorm:"column:about"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TaskSLA is a human task's timers, each with the instant it fires and, once it has, when it did.
type TaskSLA struct {
	Reminders  []SLATimer     `json:"reminders,omitempty"`
	Escalation *SLAEscalation `json:"escalation,omitempty"`
}

// SLATimer is one reminder: Offset from the due date as written ("-4h"), At the instant.
type SLATimer struct {
	Offset  string     `json:"offset"`
	At      time.Time  `json:"at"`
	FiredAt *time.Time `json:"firedAt,omitempty"`
}

// SLAEscalation is the escalation: After the due date as written, At the instant, To whom ("manager",
// "team:NAME" or an email), whether to notify, and once fired, what it did (Outcome, in words).
type SLAEscalation struct {
	After   string     `json:"after"`
	At      time.Time  `json:"at"`
	To      string     `json:"to"`
	Notify  bool       `json:"notify"`
	FiredAt *time.Time `json:"firedAt,omitempty"`
	Outcome string     `json:"outcome,omitempty"`
}

// Next is the earliest instant still to fire, or nil.
func (s *TaskSLA) Next() *time.Time {
	var next *time.Time
	consider := func(at time.Time, fired *time.Time) {
		if fired == nil && (next == nil || at.Before(*next)) {
			t := at
			next = &t
		}
	}
	for _, r := range s.Reminders {
		consider(r.At, r.FiredAt)
	}
	if s.Escalation != nil {
		consider(s.Escalation.At, s.Escalation.FiredAt)
	}
	return next
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
		&Secret{}, &TaskHolder{}, &Instance{}, &IdempotencyKey{}, &HealthProbe{},
		&Team{}, &TeamMember{}, &CompanySetting{}, &PendingNotification{}, &CRMTaskComment{}, &DemoWorkflow{},
		&ExecutionTerm{}, &ExecutionChange{}, &Batch{}, &BatchItem{}, &RecordChange{}, &AuditEntry{}}
}
