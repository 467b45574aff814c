package store

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
)

// JSON is a JSON document column: jsonb on PostgreSQL, text on SQLite.
type JSON []byte

// Value implements driver.Valuer.
func (j JSON) Value() (driver.Value, error) {
	if j == nil {
		return nil, nil
	}
	return string(j), nil
}

// Scan implements sql.Scanner.
func (j *JSON) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*j = nil
	case []byte:
		*j = append((*j)[:0], v...)
	case string:
		*j = JSON(v)
	default:
		return fmt.Errorf("store: cannot scan %T into JSON", src)
	}
	return nil
}

// MarshalJSON lets a JSON column be embedded as is.
func (j JSON) MarshalJSON() ([]byte, error) {
	if len(j) == 0 {
		return []byte("null"), nil
	}
	return j, nil
}

// ToJSON encodes v for a JSON column.
func ToJSON(v any) (JSON, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode JSON column: %w", err)
	}
	return b, nil
}

// MustJSON encodes a value that is known to be encodable (built by our own code).
func MustJSON(v any) JSON {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("store: encode %T: %v", v, err))
	}
	return b
}

// Decode decodes the column into v; an empty column leaves v alone.
func (j JSON) Decode(v any) error {
	if len(j) == 0 {
		return nil
	}
	if err := json.Unmarshal(j, v); err != nil {
		return fmt.Errorf("decode JSON column: %w", err)
	}
	return nil
}
