package store

import "time"

// Session is a browser session (the table gormstore uses).
type Session struct {
	ID        string `gorm:"primaryKey"`
	Data      string
	CreatedAt time.Time
	UpdatedAt time.Time
	ExpiresAt time.Time
}

// LoginAttempt is one sign-in attempt, for throttling.
type LoginAttempt struct {
	ID        int64 `gorm:"primaryKey"`
	Email     string
	IP        string
	Succeeded bool
	CreatedAt time.Time
}
