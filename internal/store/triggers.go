package store

import "time"

// Event is something that happened — a CRM change or an event posted to the API — recorded in the
// transaction that made it happen, then dispatched to the workflows whose trigger names its type.
type Event struct {
	ID           string `gorm:"primaryKey"`
	Type         string
	Entity       string
	EntityID     string
	Payload      JSON
	Source       string // crm, api
	CreatedBy    string
	CreatedAt    time.Time
	DispatchedAt *time.Time
}

// EventDelivery records what an event did to one workflow; its key makes each start happen once.
type EventDelivery struct {
	EventID     string `gorm:"primaryKey"`
	WorkflowID  string `gorm:"primaryKey"`
	ExecutionID *string
	Status      string // started, filtered (the filter said no), rejected (variables did not fit)
	Reason      string
	CreatedAt   time.Time
}

// Event delivery statuses.
const (
	DeliveryStarted  = "started"
	DeliveryFiltered = "filtered"
	DeliveryRejected = "rejected"
)

// ScheduleFire is one claimed fire of a scheduled trigger.
type ScheduleFire struct {
	WorkflowID   string    `gorm:"primaryKey"`
	ScheduledFor time.Time `gorm:"primaryKey"`
	ExecutionID  *string
	FiredAt      time.Time
}

// Webhook is a webhook workflow's secret address (Token) and signing secret.
type Webhook struct {
	WorkflowID    string `gorm:"primaryKey"`
	Token         string
	SigningSecret string
	CreatedAt     time.Time
	RotatedAt     *time.Time
}

// WebhookDelivery is a delivery id seen by a webhook.
type WebhookDelivery struct {
	WorkflowID  string `gorm:"primaryKey"`
	DeliveryID  string `gorm:"primaryKey"`
	ExecutionID *string
	ReceivedAt  time.Time
}
