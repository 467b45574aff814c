package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Teams, their members and calendars, and the company-wide settings.

// TeamRow is a team with its members, enabled or not, in the order they joined (by user id).
type TeamRow struct {
	Team
	Members []User
}

// ListTeams lists every team with its members, by name.
func (r Teams) ListTeams(ctx context.Context) ([]TeamRow, error) {
	var teams []Team
	if err := r.q(ctx).Order("name").Find(&teams).Error; err != nil {
		return nil, fmt.Errorf("list teams: %w", err)
	}
	var links []struct {
		TeamName string
		User
	}
	err := r.q(ctx).Table("team_members").Select("team_members.team_name, users.*").
		Joins("JOIN users ON users.id = team_members.user_id").Order("users.id").Scan(&links).Error
	if err != nil {
		return nil, fmt.Errorf("list team members: %w", err)
	}
	members := map[string][]User{}
	for _, l := range links {
		members[l.TeamName] = append(members[l.TeamName], l.User)
	}
	out := make([]TeamRow, len(teams))
	for i, t := range teams {
		out[i] = TeamRow{Team: t, Members: members[t.Name]}
	}
	return out, nil
}

// Team reads one team with its members; ErrNotFound when there is none.
func (r Teams) Team(ctx context.Context, name string) (*TeamRow, error) {
	var t Team
	err := r.q(ctx).Where("name = ?", name).Take(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("team %s: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load team %s: %w", name, err)
	}
	var members []User
	err = r.q(ctx).Where("id IN (SELECT user_id FROM team_members WHERE team_name = ?)", name).Order("id").Find(&members).Error
	if err != nil {
		return nil, fmt.Errorf("load the members of team %s: %w", name, err)
	}
	return &TeamRow{Team: t, Members: members}, nil
}

// PutTeam creates the team or replaces its calendar and members, and reports whether it was created.
func (r Teams) PutTeam(ctx context.Context, name, calendar string, memberIDs []int64, now time.Time) (bool, error) {
	db := r.q(ctx)
	res := db.Model(&Team{}).Where("name = ?", name).UpdateColumns(map[string]any{"calendar": calendar, "updated_at": now})
	if res.Error != nil {
		return false, fmt.Errorf("update team %s: %w", name, res.Error)
	}
	created := res.RowsAffected == 0
	if created {
		if err := db.Create(&Team{Name: name, Calendar: calendar, CreatedAt: now, UpdatedAt: now}).Error; err != nil {
			return false, fmt.Errorf("create team %s: %w", name, err)
		}
	}
	if err := db.Where("team_name = ?", name).Delete(&TeamMember{}).Error; err != nil {
		return false, fmt.Errorf("replace the members of team %s: %w", name, err)
	}
	for _, id := range memberIDs {
		if err := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&TeamMember{TeamName: name, UserID: id}).Error; err != nil {
			return false, fmt.Errorf("add a member to team %s: %w", name, err)
		}
	}
	return created, nil
}

// DeleteTeam deletes a team and its memberships; false when there was none.
func (r Teams) DeleteTeam(ctx context.Context, name string) (bool, error) {
	res := r.q(ctx).Where("name = ?", name).Delete(&Team{})
	if res.Error != nil {
		return false, fmt.Errorf("delete team %s: %w", name, res.Error)
	}
	if err := r.q(ctx).Where("team_name = ?", name).Delete(&TeamMember{}).Error; err != nil {
		return false, fmt.Errorf("delete the members of team %s: %w", name, err)
	}
	return res.RowsAffected > 0, nil
}

// TeamsOf lists the names of the teams a user is in.
func (r Teams) TeamsOf(ctx context.Context, userID int64) ([]string, error) {
	var names []string
	err := r.q(ctx).Model(&TeamMember{}).Where("user_id = ?", userID).Order("team_name").Pluck("team_name", &names).Error
	if err != nil {
		return nil, fmt.Errorf("the teams of user %d: %w", userID, err)
	}
	return names, nil
}

// IsMember reports whether the user is in the team.
func (r Teams) IsMember(ctx context.Context, team string, userID int64) (bool, error) {
	var n int64
	err := r.q(ctx).Model(&TeamMember{}).Where("team_name = ? AND user_id = ?", team, userID).Count(&n).Error
	return n > 0, err
}

// EnabledMembers lists a team's enabled members by id; ErrNotFound when the team does not exist.
func (r Teams) EnabledMembers(ctx context.Context, team string) ([]User, error) {
	t, err := r.Team(ctx, team)
	if err != nil {
		return nil, err
	}
	var out []User
	for _, u := range t.Members {
		if u.DisabledAt == nil {
			out = append(out, u)
		}
	}
	return out, nil
}

// TakeTurn counts one more task handed out by round robin and returns the count, which is unique per team
// even when tasks are created at once: the n-th task goes to member n mod len(members).
func (r Teams) TakeTurn(ctx context.Context, team string) (int64, error) {
	var handed []int64
	err := r.q(ctx).Raw("UPDATE teams SET handed = handed + 1 WHERE name = ? RETURNING handed", team).Scan(&handed).Error
	if err != nil {
		return 0, fmt.Errorf("take a turn in team %s: %w", team, err)
	}
	if len(handed) == 0 {
		return 0, fmt.Errorf("team %s: %w", team, ErrNotFound)
	}
	return handed[0], nil
}

// OpenTaskCounts counts the open human tasks of each of the users (test runs' left out).
func (r Teams) OpenTaskCounts(ctx context.Context, userIDs []int64) (map[int64]int64, error) {
	var rows []struct {
		AssigneeID int64
		N          int64
	}
	err := r.q(ctx).Model(&HumanTask{}).Select("assignee_id, COUNT(*) AS n").
		Where("assignee_id IN ? AND status = ? AND NOT test", userIDs, taskOpen).Group("assignee_id").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("count open tasks: %w", err)
	}
	out := make(map[int64]int64, len(rows))
	for _, row := range rows {
		out[row.AssigneeID] = row.N
	}
	return out, nil
}

const calendarKey = "calendar"

// Calendar is the working calendar as JSON that counts for a team: its own, else the company's ("" when
// neither has one).
func (r Teams) Calendar(ctx context.Context, team string) (string, error) {
	if team != "" {
		var own []string
		if err := r.q(ctx).Model(&Team{}).Where("name = ?", team).Pluck("calendar", &own).Error; err != nil {
			return "", fmt.Errorf("the calendar of team %s: %w", team, err)
		}
		if len(own) > 0 && own[0] != "" {
			return own[0], nil
		}
	}
	return r.setting(ctx, calendarKey)
}

// CalendarOfUser is the working calendar as JSON that counts for a person: that of the first of their teams
// (by name) that has one, else the company's ("" when none has one).
func (r Teams) CalendarOfUser(ctx context.Context, userID int64) (string, error) {
	var own []string
	err := r.q(ctx).Model(&Team{}).Joins("JOIN team_members ON team_members.team_name = teams.name").
		Where("team_members.user_id = ? AND teams.calendar <> ''", userID).Order("teams.name").Limit(1).
		Pluck("teams.calendar", &own).Error
	if err != nil {
		return "", fmt.Errorf("the calendar of user %d's team: %w", userID, err)
	}
	if len(own) > 0 {
		return own[0], nil
	}
	return r.setting(ctx, calendarKey)
}

// CompanyCalendar is the company's working calendar as JSON ("" when none was set).
func (r Teams) CompanyCalendar(ctx context.Context) (string, error) {
	return r.setting(ctx, calendarKey)
}

// SetCompanyCalendar stores the company's working calendar.
func (r Teams) SetCompanyCalendar(ctx context.Context, calendar string, now time.Time) error {
	row := CompanySetting{Key: calendarKey, Value: calendar, UpdatedAt: now}
	err := r.q(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "key"}},
		DoUpdates: clause.AssignmentColumns([]string{"value", "updated_at"})}).Create(&row).Error
	if err != nil {
		return fmt.Errorf("store the company calendar: %w", err)
	}
	return nil
}

func (r Teams) setting(ctx context.Context, key string) (string, error) {
	var values []string
	if err := r.q(ctx).Model(&CompanySetting{}).Where("key = ?", key).Pluck("value", &values).Error; err != nil {
		return "", fmt.Errorf("read the setting %s: %w", key, err)
	}
	if len(values) == 0 {
		return "", nil
	}
	return values[0], nil
}
