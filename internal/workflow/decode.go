package workflow

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// DecodeError says why a document is not a WorkflowDefinition, and where.
type DecodeError struct {
	Line, Column int // 1-based; 0 when unknown
	Path         string
	Message      string
	// Valid is true when the JSON itself is fine but does not fit (a wrong type, an unknown field).
	Valid bool
}

func (e *DecodeError) Error() string {
	var b strings.Builder
	switch {
	case e.Path != "":
		b.WriteString("the request has a value of the wrong type")
	case e.Valid:
		b.WriteString("the request does not fit")
	default:
		b.WriteString("the request is not valid JSON")
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, " at line %d, column %d", e.Line, e.Column)
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path + " ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// Decode reads one WorkflowDefinition. Unknown fields are rejected so a typo ("nextStep") is reported instead
// of silently dropped; configuration objects are free-form here and checked by Validate.
func Decode(data []byte) (*Definition, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var def Definition
	if err := dec.Decode(&def); err != nil {
		return nil, describeJSONError(data, dec.InputOffset(), err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		line, col := lineColumn(data, dec.InputOffset())
		return nil, &DecodeError{Line: line, Column: col, Valid: true, Message: "unexpected data after the end of the workflow object"}
	}
	return &def, nil
}

// DecodeJSONError turns an encoding/json error for data into a DecodeError with a line and column. It is used
// for every JSON body the API reads, so all of them report mistakes the same way.
func DecodeJSONError(data []byte, offset int64, err error) error {
	return describeJSONError(data, offset, err)
}

func describeJSONError(data []byte, offset int64, err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		line, col := lineColumn(data, max(syntax.Offset-1, 0)) // Offset is just past the offending byte
		return &DecodeError{Line: line, Column: col, Message: strings.TrimPrefix(syntax.Error(), "json: ")}
	case errors.As(err, &typ):
		line, col := lineColumn(data, typ.Offset)
		return &DecodeError{Line: line, Column: col, Path: typ.Field,
			Message: fmt.Sprintf("must be %s, not a JSON %s", describeGoType(typ.Type.String()), typ.Value)}
	case errors.Is(err, io.EOF):
		return &DecodeError{Message: "the body is empty; send a JSON object"}
	case errors.Is(err, io.ErrUnexpectedEOF):
		line, col := lineColumn(data, int64(len(data)))
		return &DecodeError{Line: line, Column: col, Message: "the JSON ends too early (a missing } or ])"}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		line, col := lineColumn(data, offset)
		field := strings.TrimPrefix(err.Error(), "json: unknown field ")
		return &DecodeError{Line: line, Column: col, Valid: true, Message: "unknown field " + field + "; check its spelling"}
	default:
		line, col := lineColumn(data, offset)
		return &DecodeError{Line: line, Column: col, Message: strings.TrimPrefix(err.Error(), "json: ")}
	}
}

func describeGoType(t string) string {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map["), strings.Contains(t, "workflow."):
		return "an object"
	case t == "string":
		return "a string"
	case t == "bool":
		return "true or false"
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "float"), strings.HasPrefix(t, "uint"):
		return "a number"
	case t == "time.Time":
		return "a date like 2026-11-25T00:00:00Z"
	}
	return t
}

func lineColumn(data []byte, offset int64) (int, int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	if offset < 0 {
		return 0, 0
	}
	line, col := 1, 1
	for _, c := range data[:offset] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}
