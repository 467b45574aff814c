package expression

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Template is text containing zero or more {{ expression }} segments. It is
// safe for concurrent use.
type Template struct {
	source string
	parts  []part
	// whole is set when the template is exactly one {{ }} segment: Render
	// then returns the raw value instead of text.
	whole      bool
	names      []string
	stepRefs   []string
	secretRefs []string
	fields     []string
	limits     *Limits
	guarded    bool // some segment needs the meter
}

// part is literal text (program == nil) or one compiled segment.
type part struct {
	text    string
	program *Program
	base    int // rune offset of the segment's expression inside the template
	open    int // 1-based position of the segment's "{{"
}

// ParseTemplate compiles every {{ expression }} segment of src. Errors are
// *Error with positions in src.
func (e *Engine) ParseTemplate(src string, names []string) (*Template, error) {
	t, err := e.parseTemplate(src, names)
	if err != nil {
		return nil, err
	}
	return t, nil
}

func (e *Engine) parseTemplate(src string, names []string) (*Template, *Error) {
	t := &Template{source: src, limits: &e.limits}
	var nameLists, stepLists, secretLists, fieldLists [][]string
	rest := 0 // byte offset of the text not yet consumed
	for {
		i := strings.Index(src[rest:], "{{")
		if i < 0 {
			break
		}
		open := rest + i
		if open > rest {
			t.parts = append(t.parts, part{text: src[rest:open]})
		}
		start := open + 2
		end, ok := segmentEnd(src, start)
		openPos := utf8.RuneCountInString(src[:open]) + 1
		if !ok {
			return nil, &Error{
				Source:   src,
				Position: openPos,
				Message:  "{{ is not closed: add }} after the expression",
				Hint:     "write it like {{ lead.firstName }}",
			}
		}
		code := src[start:end]
		if strings.TrimSpace(code) == "" {
			return nil, &Error{
				Source:   src,
				Position: openPos,
				Message:  "{{ }} is empty: put an expression between the braces",
				Hint:     "write it like {{ lead.firstName }}",
			}
		}
		base := utf8.RuneCountInString(src[:start])
		p, err := e.compile(code, names, false)
		if err != nil {
			return nil, err.shifted(src, base, openPos)
		}
		t.parts = append(t.parts, part{program: p, base: base, open: openPos})
		t.guarded = t.guarded || p.guarded
		nameLists = append(nameLists, p.names)
		stepLists = append(stepLists, p.stepRefs)
		secretLists = append(secretLists, p.secretRefs)
		fieldLists = append(fieldLists, p.fields)
		rest = end + 2
	}
	if rest < len(src) {
		t.parts = append(t.parts, part{text: src[rest:]})
	}
	t.whole = len(t.parts) == 1 && t.parts[0].program != nil
	t.names = mergeSorted(nameLists...)
	t.stepRefs = mergeSorted(stepLists...)
	t.secretRefs = mergeSorted(secretLists...)
	t.fields = mergeSorted(fieldLists...)
	return t, nil
}

// segmentEnd finds the "}}" closing a segment whose expression starts at byte
// start. String literals and balanced { } of map literals inside the
// expression are skipped, so {{ {"a": {"b": 1}} }} works.
func segmentEnd(src string, start int) (int, bool) {
	depth := 0
	for i := start; i < len(src); i++ {
		switch c := src[i]; c {
		case '"', '\'', '`':
			j := i + 1
			for j < len(src) && src[j] != c {
				if src[j] == '\\' && c != '`' {
					j++
				}
				j++
			}
			if j >= len(src) {
				return 0, false
			}
			i = j
		case '{':
			depth++
		case '}':
			if depth == 0 && i+1 < len(src) && src[i+1] == '}' {
				return i, true
			}
			if depth > 0 {
				depth--
			}
		}
	}
	return 0, false
}

// Render evaluates the template within its budget (Limits); ctx stops it early. A template that is
// exactly one {{ }} segment returns the raw value (map, number, bool, nil...); otherwise the result is a
// string. No result may be larger than Limits.MaxValueBytes.
func (t *Template) Render(ctx context.Context, vars map[string]any) (any, error) {
	m := newMeter(ctx, t.limits)
	return t.render(m, meterEnv(vars, m, t.guarded))
}

func (t *Template) render(m *meter, env map[string]any) (any, error) {
	if t.whole {
		p := t.parts[0]
		v, err := p.program.run(m, env)
		if err != nil {
			return nil, t.segmentError(p, err)
		}
		if err := m.measure(v); err != nil {
			return nil, t.segmentError(p, limitError(err, p.program.source, 0))
		}
		return v, nil
	}
	var b strings.Builder
	for _, p := range t.parts {
		if p.program == nil {
			b.WriteString(p.text)
			continue
		}
		v, err := p.program.run(m, env)
		if err != nil {
			return nil, t.segmentError(p, err)
		}
		s, ferr := formatText(v)
		if ferr != nil {
			return nil, t.segmentError(p, &Error{Source: p.program.source, Message: ferr.Error()})
		}
		if b.Len()+len(s) > t.limits.MaxValueBytes {
			return nil, t.segmentError(p, limitError(m.checkResult(b.Len()+len(s)), p.program.source, 0))
		}
		b.WriteString(s)
	}
	if err := m.charge(b.Len()); err != nil {
		return nil, fmt.Errorf("rendering the text: %w", limitError(err, t.source, 0))
	}
	return b.String(), nil
}

func (t *Template) segmentError(p part, err *Error) error {
	return fmt.Errorf("evaluating {{%s}}: %w", p.program.source, err.shifted(t.source, p.base, p.open))
}

// Source returns the template as the user wrote it.
func (t *Template) Source() string { return t.source }

// IsLiteral reports whether the template has no {{ }} at all.
func (t *Template) IsLiteral() bool {
	for _, p := range t.parts {
		if p.program != nil {
			return false
		}
	}
	return true
}

// Names returns the sorted distinct declared variables the template reads.
func (t *Template) Names() []string { return append([]string(nil), t.names...) }

// StepRefs returns the sorted distinct step ids the template reads.
func (t *Template) StepRefs() []string { return append([]string(nil), t.stepRefs...) }

// SecretRefs returns the sorted distinct secrets the template reads.
func (t *Template) SecretRefs() []string { return append([]string(nil), t.secretRefs...) }

// Fields are the dotted paths below variables the template reads ("lead.company.name"), sorted.
func (t *Template) Fields() []string { return append([]string(nil), t.fields...) }
