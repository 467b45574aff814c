package workflow

import (
	"slices"
	"strings"
)

// RecordOf is the CRM entity of the record a run of the definition is about, which is also the name of its
// variable: the trigger's record, else the first declared variable named after an entity ("lead"); "" for
// a workflow about no record.
func RecordOf(def *Definition) string {
	if e := TriggerRecord(def); e != "" {
		return e
	}
	for _, v := range def.Variables {
		if slices.Contains(RecordEntities, v.Name) {
			return v.Name
		}
	}
	return ""
}

// RecordCard is a CRM record in a few words, as a task shows whom it is about: its name, company, email and
// phone. Page is the record's page, filled in by whoever shows the card.
type RecordCard struct {
	Kind    string `json:"kind"`
	ID      string `json:"id,omitempty"`
	Label   string `json:"label"`
	Company string `json:"company,omitempty"`
	Email   string `json:"email,omitempty"`
	Phone   string `json:"phone,omitempty"`
	Page    string `json:"page,omitempty"`
}

// CardOf is the card of the run's record of the given kind, from the run's variables; nil when the run
// holds no such record.
func CardOf(kind string, vars map[string]any) *RecordCard {
	rec, ok := vars[kind].(map[string]any)
	if kind == "" || !ok {
		return nil
	}
	c := &RecordCard{Kind: kind, ID: recordText(rec["id"]), Label: RecordLabel(rec), Email: recordText(rec["email"]),
		Phone: recordText(rec["phone"]), Company: recordCompany(rec)}
	if c.Label == "" {
		return nil
	}
	return c
}

// RecordLabel names a record for a person: "Ana Lopez, Bistro Ana" for a lead, a deal's or company's name,
// a task's title; its id when it has none of them.
func RecordLabel(rec map[string]any) string {
	person := strings.TrimSpace(recordText(rec["firstName"]) + " " + recordText(rec["lastName"]))
	var parts []string
	for _, p := range []string{person, recordText(rec["name"]), recordText(rec["title"]), recordCompany(rec)} {
		if p != "" && !slices.Contains(parts, p) {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return recordText(rec["id"])
	}
	return strings.Join(parts, ", ")
}

// recordCompany is the name of a record's company, given as a record or as a name.
func recordCompany(rec map[string]any) string {
	switch c := rec["company"].(type) {
	case map[string]any:
		return recordText(c["name"])
	case string:
		return strings.TrimSpace(c)
	}
	return ""
}

func recordText(v any) string { s, _ := v.(string); return strings.TrimSpace(s) }
