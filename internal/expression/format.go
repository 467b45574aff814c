package expression

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// formatText renders a value inside mixed template text: nil as "", dates as
// RFC3339, whole floats without decimals, maps and lists as JSON.
func formatText(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32), nil
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case time.Time:
		return x.Format(time.RFC3339), nil
	case *time.Time:
		if x == nil {
			return "", nil
		}
		return x.Format(time.RFC3339), nil
	case time.Duration:
		return x.String(), nil
	case json.Number:
		return x.String(), nil
	case fmt.Stringer:
		return x.String(), nil
	case map[string]any, []any:
		b, err := json.Marshal(x)
		if err != nil {
			return "", fmt.Errorf("cannot write the value as JSON: %w", err)
		}
		return string(b), nil
	}
	if f, ok := toFloat(v); ok {
		return strconv.FormatFloat(f, 'f', -1, 64), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v), nil
	}
	return string(b), nil
}
