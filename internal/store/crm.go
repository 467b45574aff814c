package store

import "time"

// The CRM's records. Ids are UUID text; AssignedToID points at the user who owns the record (nullable: a
// record may be unassigned). Text fields are never NULL: empty means not given.

// Company is an organisation the sales team sells to.
type Company struct {
	ID           string `gorm:"primaryKey"`
	Name         string
	Website      string
	Industry     string
	Phone        string
	City         string
	Country      string
	AssignedToID *int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Contact is a person at a company.
type Contact struct {
	ID           string `gorm:"primaryKey"`
	FirstName    string
	LastName     string
	Email        string
	Phone        string
	Title        string
	CompanyID    *string
	AssignedToID *int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Lead is a prospective customer being qualified.
type Lead struct {
	ID                string `gorm:"primaryKey"`
	FirstName         string
	LastName          string
	Email             string
	Phone             string
	Title             string
	CompanyID         *string
	Status            string // new, contacted, qualified, unqualified, converted
	Source            string
	Score             int
	LastInteractionAt *time.Time
	Notes             string
	AssignedToID      *int64
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// Opportunity is a deal in the pipeline.
type Opportunity struct {
	ID           string `gorm:"primaryKey"`
	Name         string
	CompanyID    *string
	ContactID    *string
	LeadID       *string
	Stage        string // prospecting, qualification, proposal, negotiation, won, lost
	Amount       float64
	Currency     string
	CloseDate    *time.Time // a date: midnight UTC
	AssignedToID *int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// TableName implements gorm's Tabler.
func (Company) TableName() string { return "companies" }

// TableName implements gorm's Tabler.
func (Contact) TableName() string { return "contacts" }

// TableName implements gorm's Tabler.
func (Lead) TableName() string { return "leads" }

// TableName implements gorm's Tabler.
func (Opportunity) TableName() string { return "opportunities" }
