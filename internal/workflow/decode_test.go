package workflow_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kitchenpantry/pantryflow/internal/workflow"
)

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		src        string
		line, col  int
		path       string
		msg        string
		errContain string
	}{
		{
			name: "malformed JSON",
			src:  "{\n  \"name\": \"x\",\n  \"steps\": [}\n}",
			line: 3, col: 13, // the stray }
			msg:        "invalid character '}' looking for beginning of value",
			errContain: "the request is not valid JSON at line 3, column 13: invalid character",
		},
		{
			name: "missing colon",
			src:  `{"name" "x"}`,
			line: 1, col: 9,
			msg: "invalid character '\"' after object key",
		},
		{
			name: "list given as text",
			src:  "{\n  \"steps\": [{\"id\": \"a\", \"nextSteps\": \"a\"}]\n}",
			line: 2, col: 41,
			path:       "steps.nextSteps",
			msg:        "must be a list, not a JSON string",
			errContain: "the request has a value of the wrong type at line 2, column 41: steps.nextSteps must be a list",
		},
		{
			name: "number given as text",
			src:  `{"version": "1"}`,
			line: 1, col: 16,
			path: "version",
			msg:  "must be a number, not a JSON string",
		},
		{
			name: "object given as a list",
			src:  `{"trigger": []}`,
			line: 1, col: 14,
			path: "trigger",
			msg:  "must be an object, not a JSON array",
		},
		{
			name: "boolean given as a number",
			src:  `{"enabled": 1}`,
			line: 1, col: 14,
			path: "enabled",
			msg:  "must be true or false, not a JSON number",
		},
		{
			name: "unknown field inside a step",
			src:  "{\n  \"steps\": [\n    {\"id\": \"a\", \"nextStep\": [\"b\"]}\n  ]\n}",
			line: 5, col: 2,
			msg: `unknown field "nextStep"`,
		},
		{
			name: "unknown top-level field",
			src:  `{"name": "x", "stepz": []}`,
			line: 1, col: 27,
			msg: `unknown field "stepz"`,
		},
		{
			name: "trailing data",
			src:  `{"name": "x"} garbage`,
			line: 1, col: 15,
			msg: "unexpected data after the end of the workflow object",
		},
		{
			name: "a second object",
			src:  `{"name": "x"} {}`,
			line: 1, col: 16,
			msg: "unexpected data after the end of the workflow object",
		},
		{
			name:       "empty body",
			src:        "",
			msg:        "the body is empty; send a JSON object",
			errContain: "the request is not valid JSON: the body is empty",
		},
		{
			name: "only white space",
			src:  " \n\t",
			msg:  "the body is empty; send a JSON object",
		},
		{
			name: "truncated",
			src:  "{\"name\": ",
			line: 1, col: 10,
			msg: "the JSON ends too early",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			def, err := workflow.Decode([]byte(tt.src))
			if def != nil {
				t.Fatalf("Decode returned a definition along with the error")
			}
			var de *workflow.DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("Decode error = %v (%T), want a *workflow.DecodeError", err, err)
			}
			if de.Line != tt.line || de.Column != tt.col {
				t.Fatalf("position = line %d, column %d; want line %d, column %d (%v)", de.Line, de.Column, tt.line, tt.col, err)
			}
			if de.Path != tt.path {
				t.Fatalf("Path = %q, want %q", de.Path, tt.path)
			}
			if !strings.Contains(de.Message, tt.msg) {
				t.Fatalf("Message = %q, want it to contain %q", de.Message, tt.msg)
			}
			if tt.errContain != "" && !strings.Contains(err.Error(), tt.errContain) {
				t.Fatalf("Error() = %q, want it to contain %q", err.Error(), tt.errContain)
			}
		})
	}
}

func TestDecodeRoundTrip(t *testing.T) {
	t.Parallel()
	def := decode(t, baseJSON+"\n\n")
	if def.ID != "base" || def.Name != "Base workflow" || len(def.Steps) != 7 || len(def.Variables) != 4 {
		t.Fatalf("decoded %q/%q with %d steps and %d variables", def.ID, def.Name, len(def.Steps), len(def.Variables))
	}
	if got := def.Steps[iWait].Configuration["duration"]; got != 3600.0 {
		t.Fatalf("delay duration decoded as %v (%T), want float64 3600", got, got)
	}
	if got := def.Steps[iCheck].Configuration["trueSteps"].([]any)[0]; got != "mail" {
		t.Fatalf("trueSteps[0] = %v, want mail", got)
	}
}

func TestDecodeJSONError(t *testing.T) {
	t.Parallel()
	data := []byte("{\n\"a\": }")
	tests := []struct {
		name      string
		err       func() (int64, error)
		line, col int
		msg       string
	}{
		{"syntax error from a decoder", func() (int64, error) {
			dec := json.NewDecoder(bytes.NewReader(data))
			var v map[string]any
			err := dec.Decode(&v)
			return dec.InputOffset(), err
		}, 2, 6, "invalid character '}' looking for beginning of value"},
		{"any other error", func() (int64, error) {
			return int64(len(data)), errors.New("json: some other problem")
		}, 2, 7, "some other problem"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			offset, jerr := tt.err()
			var de *workflow.DecodeError
			if !errors.As(workflow.DecodeJSONError(data, offset, jerr), &de) {
				t.Fatalf("DecodeJSONError did not return a *workflow.DecodeError")
			}
			if de.Line != tt.line || de.Column != tt.col || de.Message != tt.msg {
				t.Fatalf("DecodeJSONError = %+v, want line %d, column %d, message %q", *de, tt.line, tt.col, tt.msg)
			}
		})
	}
}

func FuzzDecodeCompile(f *testing.F) {
	f.Add([]byte(baseJSON))
	f.Add([]byte(`{"name":"x","trigger":{"type":"scheduled","configuration":{"cron":"@daily","timezone":"Mars/Olympus"}},"steps":[{"id":"a","name":"A","type":"delay","configuration":{"until":"now()"},"nextSteps":["a"]}]}`))
	f.Add([]byte(`{"steps":[{"id":"a","type":"condition","configuration":{"condition":"steps.a.x === 1","trueSteps":["a","a",""]}}]}`))
	f.Add([]byte(`{"steps":[{"id":"a","type":"human_task","configuration":{"formFields":[{"name":"x","type":"select","options":[1,"a","a"]},"z",null]}}]}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	for _, name := range []string{
		"lead_nurture_sequence.json", "opportunity_pipeline.json",
		"seed-verbatim/lead_nurture_sequence.json", "seed-verbatim/opportunity_pipeline.json",
	} {
		data, err := os.ReadFile(filepath.Join(examplesDir, name))
		if err != nil {
			f.Fatalf("reading example %s: %v", name, err)
		}
		f.Add(data)
	}
	env := newEnv()
	f.Fuzz(func(t *testing.T, data []byte) {
		def, err := workflow.Decode(data)
		if err != nil {
			var de *workflow.DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("Decode error %v is %T, want *workflow.DecodeError", err, err)
			}
			return
		}
		plan, problems := workflow.Compile(def, env)
		if (plan == nil) == (len(problems) == 0) {
			t.Fatalf("Compile returned plan=%v with %d problems: exactly one of them must be set", plan != nil, len(problems))
		}
		for _, p := range problems {
			if p.Message == "" {
				t.Fatalf("problem at %q has no message", p.Path)
			}
		}
	})
}
