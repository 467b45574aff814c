package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ErrKeyTaken is a claim of an Idempotency-Key that another request's committed transaction holds.
var ErrKeyTaken = errors.New("the idempotency key is taken")

// ClaimKeyTx claims an Idempotency-Key inside tx, the transaction that creates what the request asks for:
// if tx rolls back, the key is free again. A key claimed before forgetBefore is forgotten first. A key
// held by a committed transaction is ErrKeyTaken; on PostgreSQL a claim of the same key in a transaction
// still running is waited for (the unique key makes the second insert wait for the first to end).
func ClaimKeyTx(ctx context.Context, tx *Tx, k *IdempotencyKey, forgetBefore time.Time) error {
	db := tx.g.WithContext(ctx)
	err := db.Where("scope = ? AND request_key = ? AND created_at < ?", k.Scope, k.RequestKey, forgetBefore).
		Delete(&IdempotencyKey{}).Error
	if err != nil {
		return fmt.Errorf("forget an old idempotency key: %w", err)
	}
	res := db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "scope"}, {Name: "request_key"}}, DoNothing: true}).
		Create(k)
	if res.Error != nil {
		return fmt.Errorf("claim an idempotency key: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrKeyTaken
	}
	return nil
}

// AnswerKeyTx records, in the transaction that claimed the key, the answer its request gets.
func AnswerKeyTx(ctx context.Context, tx *Tx, scope, key, answer string) error {
	res := tx.g.WithContext(ctx).Model(&IdempotencyKey{}).Where("scope = ? AND request_key = ?", scope, key).
		UpdateColumn("answer", answer)
	if res.Error != nil {
		return fmt.Errorf("record the answer of an idempotency key: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("record the answer of an idempotency key: the key is not claimed: %w", ErrNotFound)
	}
	return nil
}

// IdempotencyKey reads a key claimed at or after since; ErrNotFound when there is none.
func (db *DB) IdempotencyKey(ctx context.Context, scope, key string, since time.Time) (*IdempotencyKey, error) {
	var k IdempotencyKey
	err := db.gdb.WithContext(ctx).Where("scope = ? AND request_key = ? AND created_at >= ?", scope, key, since).Take(&k).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read an idempotency key: %w", err)
	}
	return &k, nil
}

// ForgetIdempotencyKeys deletes the keys claimed before t and says how many. Every instance may run it at
// the same time: a row is deleted once, and a key still in use is younger.
func (db *DB) ForgetIdempotencyKeys(ctx context.Context, before time.Time) (int64, error) {
	res := db.gdb.WithContext(ctx).Where("created_at < ?", before).Delete(&IdempotencyKey{})
	if res.Error != nil {
		return 0, fmt.Errorf("forget old idempotency keys: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// IdempotencyKeys lists the keys of a scope that are remembered, in order.
func (db *DB) IdempotencyKeys(ctx context.Context, scope string) ([]string, error) {
	var out []string
	if err := db.gdb.WithContext(ctx).Model(&IdempotencyKey{}).Where("scope = ?", scope).Order("request_key").
		Pluck("request_key", &out).Error; err != nil {
		return nil, fmt.Errorf("list idempotency keys: %w", err)
	}
	return out, nil
}
