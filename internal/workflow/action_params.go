package workflow

// ActionParams are an action step's parameters in the typed form of its action. In a definition a text
// parameter may hold {{ }} templates; a parameter whose value only its template decides (a timeout of
// "{{ vars.wait }}") is typed any. The same types read the rendered parameters an action runs with.
type ActionParams interface {
	// ActionName is the action the parameters belong to.
	ActionName() string
	object
}

// SetVariableParams are set_variable's parameters.
type SetVariableParams struct {
	Name  string `json:"name"`
	Value any    `json:"value"`
	Rest
}

// SendEmailParams are send_email's parameters.
type SendEmailParams struct {
	Template  string         `json:"template"`
	Recipient string         `json:"recipient"`
	Data      map[string]any `json:"data"`
	Rest
}

// CreateTaskParams are create_task's parameters.
type CreateTaskParams struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	Assignee    string `json:"assignee"`
	Priority    string `json:"priority"`
	DueDate     string `json:"dueDate"`
	Rest
}

// CreateRecordParams are create_record's parameters.
type CreateRecordParams struct {
	Entity string         `json:"entity"`
	Data   map[string]any `json:"data"`
	Rest
}

// UpdateRecordParams are update_record's parameters.
type UpdateRecordParams struct {
	Entity string         `json:"entity"`
	ID     string         `json:"id"`
	Data   map[string]any `json:"data"`
	Rest
}

// GetRecordParams are get_record's parameters.
type GetRecordParams struct {
	Entity string `json:"entity"`
	ID     string `json:"id"`
	Rest
}

// FindRecordsParams are find_records' parameters.
type FindRecordsParams struct {
	Entity string         `json:"entity"`
	Where  map[string]any `json:"where"`
	Q      string         `json:"q"`
	// Limit is a number, or text (a template) that gives one.
	Limit any `json:"limit"`
	Rest
}

// CallAPIParams are call_api's parameters.
type CallAPIParams struct {
	Method  string         `json:"method"`
	URL     string         `json:"url"`
	Headers map[string]any `json:"headers"`
	// Body is any JSON value, sent as JSON.
	Body any `json:"body"`
	// Timeout is seconds: a number, or text (a template) that gives one.
	Timeout any `json:"timeout"`
	// ExpectedStatus is a status code, a list of them, or text such as "200, 201".
	ExpectedStatus any `json:"expectedStatus"`
	Rest
}

// OtherParams are the parameters of an action this package has no type for: every one is in Extra.
type OtherParams struct {
	Action string `json:"-"`
	Rest
}

// ActionName implements ActionParams.
func (*SetVariableParams) ActionName() string { return "set_variable" }

// ActionName implements ActionParams.
func (*SendEmailParams) ActionName() string { return "send_email" }

// ActionName implements ActionParams.
func (*CreateTaskParams) ActionName() string { return "create_task" }

// ActionName implements ActionParams.
func (*CreateRecordParams) ActionName() string { return "create_record" }

// ActionName implements ActionParams.
func (*UpdateRecordParams) ActionName() string { return "update_record" }

// ActionName implements ActionParams.
func (*GetRecordParams) ActionName() string { return "get_record" }

// ActionName implements ActionParams.
func (*FindRecordsParams) ActionName() string { return "find_records" }

// ActionName implements ActionParams.
func (*CallAPIParams) ActionName() string { return "call_api" }

// ActionName implements ActionParams.
func (p *OtherParams) ActionName() string { return p.Action }

// NewParams is an empty set of parameters of an action.
func NewParams(action string) ActionParams {
	switch action {
	case "set_variable":
		return &SetVariableParams{}
	case "send_email":
		return &SendEmailParams{}
	case "create_task":
		return &CreateTaskParams{}
	case "create_record":
		return &CreateRecordParams{}
	case "update_record":
		return &UpdateRecordParams{}
	case "get_record":
		return &GetRecordParams{}
	case "find_records":
		return &FindRecordsParams{}
	case "call_api":
		return &CallAPIParams{}
	}
	return &OtherParams{Action: action}
}

// DecodeParams reads an action's parameters (as written in a definition, or rendered for a run) into their
// typed form.
func DecodeParams(action string, m map[string]any) ActionParams {
	p := NewParams(action)
	decodeObject(m, p)
	return p
}

// DecodeCallAPIParams reads call_api's parameters.
func DecodeCallAPIParams(m map[string]any) *CallAPIParams {
	p := &CallAPIParams{}
	decodeObject(m, p)
	return p
}

// ParamsMap writes typed parameters as the JSON object they stand for.
func ParamsMap(p ActionParams) map[string]any {
	if p == nil {
		return nil
	}
	return encodeObject(p)
}
