package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm/clause"
)

// The writes of team queues, out-of-office delegation and SLA timers. Each is one conditional UPDATE, so two
// people (or two instances) acting at once on a task change it once: the other's UPDATE matches no row.

// Claim gives an unclaimed open task of a team's queue to the user and records them as a holder; false when
// the task is not open, not in a queue, or someone holds it already: nothing is changed.
func (r Tasks) Claim(ctx context.Context, taskID string, userID int64, email string, now time.Time) (bool, error) {
	res := r.q(ctx).Model(&HumanTask{}).
		Where("id = ? AND status = ? AND team IS NOT NULL AND assignee_id IS NULL", taskID, taskOpen).
		UpdateColumns(map[string]any{"assignee": email, "assignee_id": userID, "updated_at": now})
	if res.Error != nil {
		return false, fmt.Errorf("claim task %s: %w", taskID, res.Error)
	}
	if res.RowsAffected == 0 {
		return false, nil
	}
	return true, r.addHolder(ctx, taskID, userID)
}

// Unclaim returns a task the user holds to its team's queue; false when they do not hold it (or it is not
// open, or in no queue).
func (r Tasks) Unclaim(ctx context.Context, taskID string, userID int64, now time.Time) (bool, error) {
	res := r.q(ctx).Model(&HumanTask{}).
		Where("id = ? AND status = ? AND team IS NOT NULL AND assignee_id = ?", taskID, taskOpen, userID).
		UpdateColumns(map[string]any{"assignee": "", "assignee_id": nil, "delegated_from": nil, "updated_at": now})
	if res.Error != nil {
		return false, fmt.Errorf("unclaim task %s: %w", taskID, res.Error)
	}
	return res.RowsAffected > 0, nil
}

// ToQueue puts an open task in a team's queue, unclaimed (an escalation to a team); false when it is not open.
func (r Tasks) ToQueue(ctx context.Context, taskID, team string, now time.Time) (bool, error) {
	res := r.q(ctx).Model(&HumanTask{}).Where("id = ? AND status = ?", taskID, taskOpen).
		UpdateColumns(map[string]any{"assignee": "", "assignee_id": nil, "team": team, "delegated_from": nil, "updated_at": now})
	if res.Error != nil {
		return false, fmt.Errorf("put task %s in the queue of %s: %w", taskID, team, res.Error)
	}
	return res.RowsAffected > 0, nil
}

func (r Tasks) addHolder(ctx context.Context, taskID string, userID int64) error {
	var task HumanTask
	if err := r.q(ctx).Select("id", "execution_id").Where("id = ?", taskID).Take(&task).Error; err != nil {
		return fmt.Errorf("task %s: %w", taskID, err)
	}
	holder := &TaskHolder{TaskID: task.ID, ExecutionID: task.ExecutionID, UserID: userID}
	if err := r.q(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(holder).Error; err != nil {
		return fmt.Errorf("record user %d as holder of task %s: %w", userID, taskID, err)
	}
	return nil
}

// Touch records that the delegate holding a delegated task opened it, the first time only.
func (r Tasks) Touch(ctx context.Context, taskID string, userID int64, now time.Time) error {
	return r.q(ctx).Model(&HumanTask{}).
		Where("id = ? AND assignee_id = ? AND delegated_from IS NOT NULL AND touched_at IS NULL", taskID, userID).
		UpdateColumn("touched_at", now).Error
}

// ReturnDelegated gives back to their users the open, untouched tasks a delegate holds for someone who is no
// longer away at now, and returns them (with the user they went back to as assignee).
func (r Tasks) ReturnDelegated(ctx context.Context, now time.Time, limit int) ([]HumanTask, error) {
	var rows []HumanTask
	err := r.q(ctx).Joins("JOIN users u ON u.id = human_tasks.delegated_from").
		Where("human_tasks.status = ? AND human_tasks.touched_at IS NULL", taskOpen).
		Where("u.disabled_at IS NULL AND (u.away_to IS NULL OR u.away_to <= ? OR u.away_from > ?)", now, now).
		Select("human_tasks.*").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("find delegated tasks to give back: %w", err)
	}
	var back []HumanTask
	for _, t := range rows {
		var u User
		if err := r.q(ctx).Where("id = ?", *t.DelegatedFrom).Take(&u).Error; err != nil {
			return back, fmt.Errorf("task %s: %w", t.ID, err)
		}
		res := r.q(ctx).Model(&HumanTask{}).
			Where("id = ? AND status = ? AND touched_at IS NULL AND delegated_from = ? AND assignee_id = ?", t.ID, taskOpen, u.ID, *t.AssigneeID).
			UpdateColumns(map[string]any{"assignee": u.Email, "assignee_id": u.ID, "delegated_from": nil, "updated_at": now})
		if res.Error != nil {
			return back, fmt.Errorf("give task %s back to %s: %w", t.ID, u.Email, res.Error)
		}
		if res.RowsAffected == 0 {
			continue
		}
		if err := r.addHolder(ctx, t.ID, u.ID); err != nil {
			return back, err
		}
		t.Assignee, t.AssigneeID, t.DelegatedFrom = u.Email, &u.ID, nil
		back = append(back, t)
	}
	return back, nil
}

// DueTimers lists the open tasks whose next SLA timer is at or before now, earliest first.
func (r Tasks) DueTimers(ctx context.Context, now time.Time, limit int) ([]HumanTask, error) {
	var rows []HumanTask
	err := r.q(ctx).Where("next_timer_at IS NOT NULL AND next_timer_at <= ? AND status = ?", now, taskOpen).
		Order("next_timer_at").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("find due task timers: %w", err)
	}
	return rows, nil
}

// FireTimers stores a task's SLA after some of its timers fired, if its next timer is still the one read
// (was): false when another instance fired them first, and nothing is changed.
func (r Tasks) FireTimers(ctx context.Context, taskID string, was time.Time, sla TaskSLA, now time.Time) (bool, error) {
	res := r.q(ctx).Model(&HumanTask{}).Where("id = ? AND next_timer_at = ?", taskID, was).
		UpdateColumns(map[string]any{"sla": MustJSON(sla), "next_timer_at": sla.Next(), "updated_at": now})
	if res.Error != nil {
		return false, fmt.Errorf("fire the timers of task %s: %w", taskID, res.Error)
	}
	return res.RowsAffected > 0, nil
}
