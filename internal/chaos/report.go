package chaos

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/mailer/mailertest"
)

// Report is what a chaos run found.
type Report struct {
	Database         string // sqlite or postgres
	Instances        int
	Seed             uint64
	Kills            int // SIGKILLs sent
	KillsInFlight    int // of them, kills while a run was running (not waiting for a delay or a person)
	Terminations     int // times every database connection was ended
	ConnectionsEnded int
	APIRetries       int // requests the client sent again because an instance was gone or answered 503
	Elapsed          time.Duration

	Started     int // runs the API accepted
	Completed   int
	Failed      int
	Stuck       int // neither completed nor failed when the waiting ended
	Lost        int // accepted, but the run does not exist
	StartedMore int // runs beyond those accepted: a start that was retried made a second run

	StepsCompleted int
	StepsRepeated  int // (run, step) pairs completed more than once
	StepsMissing   int // steps a completed run never completed
	JoinsTwice     int // runs whose parallel step joined more than once
	TasksTwice     int // runs with more than one review task

	MailsDelivered int // distinct welcome mails the SMTP server accepted
	// MailsLost are completed runs whose mail the SMTP server never accepted, counted when the waiting
	// ended; it lasts until the outbox has sent every mail, since delivery goes on after a run completes.
	MailsLost        int
	MailsQueuedTwice int // runs with more than one mail in the outbox
	// MailsSentTwice are mails the SMTP server accepted more than once (the same Message-ID): a kill
	// between the server's acceptance and our commit. Unflagged are those the outbox does not mark
	// "may have been sent twice".
	MailsSentTwice, MailsSentTwiceUnflagged int

	// Slowest is the longest a run took beyond its one-second delay, from its start to its end: what the
	// faults cost the run that waited longest on them.
	Slowest    time.Duration
	SlowestRun string
	// Settled says every run finished (completed or failed) before Settle ran out, SettledAfterLastFault
	// how long after the last fault (a kill, a restart, a termination).
	Settled               bool
	SettledAfterLastFault time.Duration
	restarts              []time.Duration // kill → ready again, per restart

	runs []run
	// Failures are the first few failed or stuck runs, with their error or current step.
	Failures []string
}

type run struct {
	id, email string
}

// Problems are the ways the run fell short of the engine's promises; none when it kept them all.
func (r *Report) Problems() []string {
	var p []string
	add := func(n int, what string) {
		if n > 0 {
			p = append(p, fmt.Sprintf("%d %s", n, what))
		}
	}
	add(r.Lost, "runs lost")
	add(r.StartedMore, "runs started twice")
	add(r.Failed, "runs failed")
	add(r.Stuck, "runs stuck")
	add(r.StepsRepeated, "steps repeated")
	add(r.StepsMissing, "steps missing from completed runs")
	add(r.JoinsTwice, "joins run twice")
	add(r.TasksTwice, "tasks made twice")
	add(r.MailsLost, "mails lost")
	add(r.MailsQueuedTwice, "mails queued twice")
	add(r.MailsSentTwiceUnflagged, `mails sent twice without "may have been sent twice" in the outbox`)
	if r.Slowest > time.Minute {
		p = append(p, fmt.Sprintf("a run waited %s on the faults, more than a minute", r.Slowest.Round(100*time.Millisecond)))
	}
	return p
}

// Write prints the report for people.
func (r *Report) Write(w io.Writer) {
	terminations := "no connection terminations (SQLite)"
	if r.Database == "postgres" {
		terminations = fmt.Sprintf("%d connection terminations (%d connections ended)", r.Terminations, r.ConnectionsEnded)
	}
	fmt.Fprintf(w, "pantryflow chaos: %s, %d instance(s), %d kills (%d while runs were running), %s, in %s (seed %d)\n",
		r.Database, r.Instances, r.Kills, r.KillsInFlight, terminations, r.Elapsed.Round(100*time.Millisecond), r.Seed)
	fmt.Fprintf(w, "runs:     %d started, %d completed, %d failed, %d stuck, %d lost, %d started twice\n",
		r.Started, r.Completed, r.Failed, r.Stuck, r.Lost, r.StartedMore)
	fmt.Fprintf(w, "steps:    %d completed, %d repeated, %d missing; joins run twice: %d; tasks made twice: %d\n",
		r.StepsCompleted, r.StepsRepeated, r.StepsMissing, r.JoinsTwice, r.TasksTwice)
	fmt.Fprintf(w, "mails:    %d delivered, %d lost, %d queued twice, %d sent twice (%d of them not flagged \"may have been sent twice\")\n",
		r.MailsDelivered, r.MailsLost, r.MailsQueuedTwice, r.MailsSentTwice, r.MailsSentTwiceUnflagged)
	settled := "the runs did not all finish"
	if r.Settled {
		settled = fmt.Sprintf("every run finished %s after the last fault", r.SettledAfterLastFault.Round(100*time.Millisecond))
	}
	fmt.Fprintf(w, "recovery: the slowest run took %s beyond its delay (%s); %s; restarts were ready in %s (median), %s at most\n",
		r.Slowest.Round(100*time.Millisecond), r.SlowestRun, settled, median(r.restarts).Round(10*time.Millisecond),
		slices.Max(append([]time.Duration{0}, r.restarts...)).Round(10*time.Millisecond))
	fmt.Fprintf(w, "client:   %d requests sent again while an instance was down or busy\n", r.APIRetries)
	for _, f := range r.Failures {
		fmt.Fprintf(w, "  %s\n", f)
	}
	if p := r.Problems(); len(p) > 0 {
		fmt.Fprintf(w, "result:   PROBLEMS: %s\n", strings.Join(p, "; "))
	} else {
		fmt.Fprintln(w, "result:   no problems: nothing lost, repeated or stuck")
	}
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// executionView is the part of GET /api/executions/:id the report reads.
type executionView struct {
	ID          string     `json:"id"`
	Status      string     `json:"status"`
	StartedAt   time.Time  `json:"startedAt"`
	CompletedAt *time.Time `json:"completedAt"`
	CurrentStep string     `json:"currentStep"`
	Error       string     `json:"error"`
	Log         []struct {
		StepID string `json:"stepId"`
		Action string `json:"action"`
	} `json:"executionLog"`
	Tasks []struct {
		ID string `json:"id"`
	} `json:"tasks"`
}

type mailView struct {
	ExecutionID        string `json:"executionId"`
	StepID             string `json:"stepId"`
	Status             string `json:"status"`
	Attempts           int    `json:"attempts"`
	LastError          string `json:"lastError"`
	PossiblyDuplicated bool   `json:"possiblyDuplicated"`
}

// collect reads every run, the outbox and what the SMTP server accepted, and counts.
func (c *shaker) collect(ctx context.Context, accepted []acceptedMail) error {
	r := c.r
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var all struct {
		Total int `json:"total"`
	}
	if _, err := c.api.call(ctx, "GET", "/api/executions?limit=1", "", nil, &all); err != nil {
		return err
	}
	outbox, err := c.outbox(ctx)
	if err != nil {
		return err
	}
	byRecipient := map[string]map[string]int{} // recipient → Message-ID → times accepted
	for _, m := range accepted {
		for _, to := range m.to {
			if byRecipient[to] == nil {
				byRecipient[to] = map[string]int{}
			}
			byRecipient[to][m.messageID]++
		}
	}
	for to, ids := range byRecipient {
		if to != repEmail { // the rep's task notifications are not the runs' welcome mails
			r.MailsDelivered += len(ids)
		}
	}

	ids := map[string]bool{}
	for _, rn := range r.runs {
		if rn.id == "" {
			continue
		}
		ids[rn.id] = true
		r.Started++
		var e executionView
		code, err := c.api.call(ctx, "GET", "/api/executions/"+rn.id, "", nil, &e)
		if err != nil {
			return err
		}
		if code == 404 {
			r.Lost++
			continue
		}
		switch e.Status {
		case "completed":
			r.Completed++
		case "failed":
			r.Failed++
			r.failure("run %s failed at %s: %s", e.ID, e.CurrentStep, e.Error)
		default:
			r.Stuck++
			r.failure("run %s is still %s at %s", e.ID, e.Status, e.CurrentStep)
		}
		completed := map[string]int{}
		for _, l := range e.Log {
			if l.Action == "completed" {
				completed[l.StepID]++
				r.StepsCompleted++
			}
		}
		for step, n := range completed {
			if n > 1 {
				r.StepsRepeated++
				if step == stepFanOut {
					r.JoinsTwice++
				}
			}
		}
		if e.Status == "completed" {
			for _, s := range workflowSteps {
				if completed[s] == 0 {
					r.StepsMissing++
				}
			}
			if e.CompletedAt != nil {
				if took := e.CompletedAt.Sub(e.StartedAt) - delay; took > r.Slowest {
					r.Slowest, r.SlowestRun = took, e.ID
				}
			}
		}
		if len(e.Tasks) > 1 {
			r.TasksTwice++
		}
		mails := outbox[rn.id]
		if len(mails) > 1 {
			r.MailsQueuedTwice++
		}
		sent := byRecipient[rn.email]
		if e.Status == "completed" && len(sent) == 0 {
			r.MailsLost++
			if len(mails) == 0 {
				r.failure("run %s completed without a mail in the outbox", e.ID)
			} else {
				r.failure("the mail of run %s never reached the mail server; the outbox says %s after %d attempts: %s",
					e.ID, mails[0].Status, mails[0].Attempts, mails[0].LastError)
			}
		}
		for _, times := range sent {
			if times > 1 {
				r.MailsSentTwice++
				if len(mails) == 0 || !mails[0].PossiblyDuplicated {
					r.MailsSentTwiceUnflagged++
				}
			}
		}
	}
	r.StartedMore = max(all.Total-(len(ids)-r.Lost), 0)
	return nil
}

func (r *Report) failure(format string, args ...any) {
	if len(r.Failures) < 10 {
		r.Failures = append(r.Failures, fmt.Sprintf(format, args...))
	}
}

// outbox is every welcome mail of the outbox (the workflow's send_email step's; the rep's task
// notifications are left out), by run.
func (c *shaker) outbox(ctx context.Context) (map[string][]mailView, error) {
	byRun := map[string][]mailView{}
	for offset := 0; ; offset += 1000 {
		var page struct {
			Items []mailView `json:"items"`
		}
		code, err := c.api.call(ctx, "GET", fmt.Sprintf("/api/outbox?limit=1000&offset=%d", offset), "", nil, &page)
		if err != nil {
			return nil, err
		}
		if code != 200 {
			return nil, fmt.Errorf("GET /api/outbox answered %d", code)
		}
		for _, m := range page.Items {
			if m.StepID == stepMail {
				byRun[m.ExecutionID] = append(byRun[m.ExecutionID], m)
			}
		}
		if len(page.Items) < 1000 {
			return byRun, nil
		}
	}
}

// acceptedMail is a message the SMTP server accepted: its recipients and Message-ID.
type acceptedMail struct {
	to        []string
	messageID string
}

func acceptedMails(msgs []mailertest.Message) []acceptedMail {
	out := make([]acceptedMail, len(msgs))
	for i, m := range msgs {
		out[i].to = m.To
		if msg, err := mail.ReadMessage(bytes.NewReader(m.Data)); err == nil {
			out[i].messageID = msg.Header.Get("Message-Id")
		}
	}
	return out
}
