package crm

import (
	"strings"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/store"
)

// Entity is a kind of CRM record.
type Entity string

// The CRM's entities.
const (
	Lead        Entity = "lead"
	Contact     Entity = "contact"
	Company     Entity = "company"
	Opportunity Entity = "opportunity"
	Task        Entity = "task"
)

// Statuses and stages, in the order a record usually moves through them.
var (
	LeadStatuses      = []string{"new", "contacted", "qualified", "unqualified", "converted"}
	OpportunityStages = []string{"prospecting", "qualification", "proposal", "negotiation", "won", "lost"}
	TaskStatuses      = []string{"open", "done"}
	TaskPriorities    = []string{"low", "medium", "high"}
	// RelatedTypes are the records a task can be about.
	RelatedTypes = []string{string(Lead), string(Contact), string(Company), string(Opportunity)}
)

// entityOrder is the order entities are listed in.
var entityOrder = []Entity{Lead, Contact, Company, Opportunity, Task}

// kindOf is the description of an entity, or nil.
func kindOf(e Entity) entityOps {
	switch e {
	case Lead:
		return leads
	case Contact:
		return contacts
	case Company:
		return companies
	case Opportunity:
		return opportunities
	case Task:
		return tasks
	}
	return nil
}

func fullName(first, last string) string { return strings.TrimSpace(first + " " + last) }

var companies = &spec[store.Company]{
	entity: Company, plural: "companies", table: "companies",
	fields: []field[store.Company]{
		textField("name", "name", "company name", func(m *store.Company) *string { return &m.Name }, required()),
		textField("website", "website", "website", func(m *store.Company) *string { return &m.Website }),
		textField("industry", "industry", "industry", func(m *store.Company) *string { return &m.Industry }),
		textField("phone", "phone", "phone number", func(m *store.Company) *string { return &m.Phone }),
		textField("city", "city", "city", func(m *store.Company) *string { return &m.City }),
		textField("country", "country", "country", func(m *store.Company) *string { return &m.Country }),
		userField("assignedTo", "assigned_to_id", "owner", func(m *store.Company) **int64 { return &m.AssignedToID }),
	},
	search: [][]string{{"name"}, {"website"}},
	order:  store.CRMNewestFirst,
	id:     func(m *store.Company) *string { return &m.ID },
	stamps: func(m *store.Company) (*time.Time, *time.Time) { return &m.CreatedAt, &m.UpdatedAt },
	label:  func(m *store.Company) string { return m.Name },
}

var contacts = &spec[store.Contact]{
	entity: Contact, plural: "contacts", table: "contacts",
	fields: []field[store.Contact]{
		textField("firstName", "first_name", "first name", func(m *store.Contact) *string { return &m.FirstName }, required()),
		textField("lastName", "last_name", "last name", func(m *store.Contact) *string { return &m.LastName }, required()),
		textField("email", "email", "email address", func(m *store.Contact) *string { return &m.Email }, email()),
		textField("phone", "phone", "phone number", func(m *store.Contact) *string { return &m.Phone }),
		textField("title", "title", "job title", func(m *store.Contact) *string { return &m.Title }),
		optionalField("companyId", "company_id", "company", func(m *store.Contact) **string { return &m.CompanyID }, refTo(Company, "company")),
		userField("assignedTo", "assigned_to_id", "owner", func(m *store.Contact) **int64 { return &m.AssignedToID }),
	},
	search: [][]string{{"first_name", "last_name"}, {"email"}},
	order:  store.CRMNewestFirst,
	id:     func(m *store.Contact) *string { return &m.ID },
	stamps: func(m *store.Contact) (*time.Time, *time.Time) { return &m.CreatedAt, &m.UpdatedAt },
	label:  func(m *store.Contact) string { return fullName(m.FirstName, m.LastName) },
}

var leads = &spec[store.Lead]{
	entity: Lead, plural: "leads", table: "leads",
	fields: []field[store.Lead]{
		textField("firstName", "first_name", "first name", func(m *store.Lead) *string { return &m.FirstName }, required()),
		textField("lastName", "last_name", "last name", func(m *store.Lead) *string { return &m.LastName }, required()),
		textField("email", "email", "email address", func(m *store.Lead) *string { return &m.Email }, email()),
		textField("phone", "phone", "phone number", func(m *store.Lead) *string { return &m.Phone }),
		textField("title", "title", "job title", func(m *store.Lead) *string { return &m.Title }),
		optionalField("companyId", "company_id", "company", func(m *store.Lead) **string { return &m.CompanyID }, refTo(Company, "company")),
		textField("status", "status", "lead status", func(m *store.Lead) *string { return &m.Status }, enum(LeadStatuses...), defaults("new")),
		textField("source", "source", "source", func(m *store.Lead) *string { return &m.Source }),
		intField("score", "score", "score", func(m *store.Lead) *int { return &m.Score }, 0, 100),
		timeField("lastInteraction", "last_interaction_at", "last interaction", func(m *store.Lead) **time.Time { return &m.LastInteractionAt }),
		textField("notes", "notes", "notes", func(m *store.Lead) *string { return &m.Notes }, long()),
		userField("assignedTo", "assigned_to_id", "owner", func(m *store.Lead) **int64 { return &m.AssignedToID }),
	},
	status: "status",
	search: [][]string{{"first_name", "last_name"}, {"email"}},
	order:  store.CRMNewestFirst,
	id:     func(m *store.Lead) *string { return &m.ID },
	stamps: func(m *store.Lead) (*time.Time, *time.Time) { return &m.CreatedAt, &m.UpdatedAt },
	label:  func(m *store.Lead) string { return fullName(m.FirstName, m.LastName) },
}

var opportunities = &spec[store.Opportunity]{
	entity: Opportunity, plural: "opportunities", table: "opportunities",
	fields: []field[store.Opportunity]{
		textField("name", "name", "opportunity name", func(m *store.Opportunity) *string { return &m.Name }, required()),
		optionalField("companyId", "company_id", "company", func(m *store.Opportunity) **string { return &m.CompanyID }, refTo(Company, "company")),
		optionalField("contactId", "contact_id", "contact", func(m *store.Opportunity) **string { return &m.ContactID }, refTo(Contact, "contact")),
		optionalField("leadId", "lead_id", "lead", func(m *store.Opportunity) **string { return &m.LeadID }, refTo(Lead, "lead")),
		textField("stage", "stage", "stage", func(m *store.Opportunity) *string { return &m.Stage }, enum(OpportunityStages...), defaults("prospecting")),
		moneyField("amount", "amount", "amount", func(m *store.Opportunity) *float64 { return &m.Amount }),
		textField("currency", "currency", "currency", func(m *store.Opportunity) *string { return &m.Currency }, currency()),
		timeField("closeDate", "close_date", "close date", func(m *store.Opportunity) **time.Time { return &m.CloseDate }, date()),
		userField("assignedTo", "assigned_to_id", "owner", func(m *store.Opportunity) **int64 { return &m.AssignedToID }),
	},
	status: "stage",
	search: [][]string{{"name"}},
	order:  store.CRMNewestFirst,
	id:     func(m *store.Opportunity) *string { return &m.ID },
	stamps: func(m *store.Opportunity) (*time.Time, *time.Time) { return &m.CreatedAt, &m.UpdatedAt },
	label:  func(m *store.Opportunity) string { return m.Name },
}

var tasks = &spec[store.CRMTask]{
	entity: Task, plural: "tasks", table: "crm_tasks",
	fields: []field[store.CRMTask]{
		textField("title", "title", "task title", func(m *store.CRMTask) *string { return &m.Title }, required()),
		textField("description", "description", "description", func(m *store.CRMTask) *string { return &m.Description }, long()),
		textField("status", "status", "task status", func(m *store.CRMTask) *string { return &m.Status }, enum(TaskStatuses...), defaults("open")),
		textField("priority", "priority", "priority", func(m *store.CRMTask) *string { return &m.Priority }, enum(TaskPriorities...), defaults("medium")),
		timeField("dueDate", "due_at", "due date", func(m *store.CRMTask) **time.Time { return &m.DueAt }),
		optionalField("relatedType", "related_type", "kind of related record", func(m *store.CRMTask) **string { return &m.RelatedType }, enum(RelatedTypes...)),
		optionalField("relatedId", "related_id", "related record", func(m *store.CRMTask) **string { return &m.RelatedID }, refBy("relatedType", "related")),
		userField("assignedTo", "assignee_id", "assignee", func(m *store.CRMTask) **int64 { return &m.AssigneeID }),
		timeField("completedAt", "completed_at", "completion time", func(m *store.CRMTask) **time.Time { return &m.CompletedAt }, readOnly()),
		optionalField("executionId", "execution_id", "execution", func(m *store.CRMTask) **string { return &m.ExecutionID }, readOnly()),
		textField("stepId", "step_id", "step", func(m *store.CRMTask) *string { return &m.StepID }, readOnly()),
	},
	status: "status",
	search: [][]string{{"title"}},
	// Soonest due first, as a to-do list reads.
	order:  store.CRMSoonestDue,
	id:     func(m *store.CRMTask) *string { return &m.ID },
	stamps: func(m *store.CRMTask) (*time.Time, *time.Time) { return &m.CreatedAt, &m.UpdatedAt },
	label:  func(m *store.CRMTask) string { return m.Title },
	rules: func(m *store.CRMTask, failed map[string]bool) []Problem {
		if !failed["relatedType"] && !failed["relatedId"] && (m.RelatedType == nil) != (m.RelatedID == nil) {
			return []Problem{{Path: "relatedId", Message: "give both relatedType and relatedId (the kind of record the task is about and its id), or neither"}}
		}
		return nil
	},
	onStatus: func(m *store.CRMTask, now time.Time) map[string]any {
		if m.Status == "done" {
			m.CompletedAt = &now
			return map[string]any{"completed_at": now}
		}
		m.CompletedAt = nil
		return map[string]any{"completed_at": nil}
	},
}
