package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/kitchenpantry/pantryflow/internal/store"
)

// A process that dies holds River jobs in the running state: an advance job in the middle of a step, a
// mail being delivered, an event being dispatched. River's rescuer would make them available again only
// after RescueStuckJobsAfter (10 minutes, as it must outlast the longest job). Instead:
//
//   - on SQLite, one process owns the file, so a running job found at start-up is a dead process's: it is
//     made available before the workers start;
//   - on PostgreSQL, every instance registers in engine_instances and beats a heartbeat every
//     HeartbeatInterval, using River's client ID as its id; every instance looks, as often, for instances
//     whose heartbeat is older than DeadAfter and makes the running jobs of any instance that is not alive
//     available again. An instance that runs beside another (the same kernel and pid namespace: a restart
//     on the same machine, or a second process there) does not wait for the heartbeat when the other's
//     process is gone: it takes the jobs over when it starts, and at every heartbeat. A job's committed work stays done (an advance job resumes from its execution's
//     recorded state; the revision check lets only one commit each step), so taking a job over repeats
//     nothing that committed.

// instance identifies this process.
type instance struct {
	id       string
	host     string
	pid      int
	pidSpace string // see pidSpace
}

func (in instance) row() store.Instance {
	return store.Instance{ID: in.id, Host: in.host, PID: in.pid, PIDSpace: in.pidSpace}
}

func newInstance(sameMachine bool) instance {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	if len(host) > 60 {
		host = host[:60]
	}
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	pid := os.Getpid()
	return instance{id: fmt.Sprintf("%s/%d/%s", host, pid, hex.EncodeToString(suffix)), host: host, pid: pid, pidSpace: pidSpace(sameMachine)}
}

// pidSpace names where this process's id means something: the kernel's boot and the pid namespace (Linux;
// empty elsewhere, when either cannot be read, or when not known: PANTRYFLOW_SAME_MACHINE_TAKEOVER=off). Processes with the same pidSpace see the same processes
// under the same ids.
func pidSpace(known bool) string {
	if !known {
		return ""
	}
	boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	ns, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(boot)) + " " + ns
}

// inThisProcess holds the ids of the engines running in this process, from registration to stop.
var inThisProcess sync.Map

// gone are the registered instances beside this one (the same pidSpace) whose process no longer exists: one
// with this process's own id (a restart reused it), or one the kernel says there is no such process for. A
// process that exists — even one that merely reuses a dead instance's id — is left to the heartbeats.
func (e *Engine) gone(ctx context.Context) ([]string, error) {
	beside, err := e.db.InstancesIn(ctx, e.instance.pidSpace)
	if err != nil {
		return nil, err
	}
	var gone []string
	for _, in := range beside {
		if _, here := inThisProcess.Load(in.ID); here {
			continue // this instance, or another engine of this process (tests run several)
		}
		if in.PID == e.instance.pid || errors.Is(syscall.Kill(in.PID, 0), syscall.ESRCH) {
			gone = append(gone, in.ID)
		}
	}
	return gone, nil
}

// ID is this instance's id: River's client ID and its row in engine_instances.
func (e *Engine) ID() string { return e.instance.id }

// register records this instance before its workers start, and takes up what a dead predecessor left.
func (e *Engine) register(ctx context.Context) error {
	inThisProcess.Store(e.instance.id, true)
	if err := e.db.RegisterInstance(ctx, e.instance.row()); err != nil {
		return err
	}
	if e.db.SingleProcess() {
		if err := e.db.ForgetOtherInstances(ctx, e.instance.id); err != nil {
			return err
		}
		taken, err := e.db.RequeueRunningJobs(ctx)
		if err != nil {
			return err
		}
		e.logTaken(taken)
		return nil
	}
	_, err := e.TakeOver(ctx)
	return err
}

// heartbeatLoop says this instance is alive and takes over the jobs of the dead, every HeartbeatInterval.
func (e *Engine) heartbeatLoop(ctx context.Context) {
	defer e.heartbeat.Done()
	if e.db.SingleProcess() {
		return // one process per file: nobody to tell, nobody to take over from
	}
	ticker := time.NewTicker(e.cfg.HeartbeatInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		alive, err := e.db.Heartbeat(ctx, e.instance.row())
		switch {
		case err != nil && ctx.Err() == nil:
			e.log.Warn("heartbeat failed", "error", err)
			continue
		case err == nil && !alive:
			e.log.Warn("this instance was taken for dead (its heartbeat was late); its running jobs went to others, and it goes on")
		}
		if _, err := e.TakeOver(ctx); err != nil && ctx.Err() == nil {
			e.log.Warn("take over the jobs of dead instances", "error", err)
		}
	}
}

// TakeOver makes the running jobs of dead instances available to the living, and returns how many it took:
// at once for an instance beside this one whose process is gone, and for any other once its heartbeat is
// older than DeadAfter.
func (e *Engine) TakeOver(ctx context.Context) (int, error) {
	gone, err := e.gone(ctx)
	if err != nil {
		return 0, err
	}
	ofGone, err := e.db.TakeOverJobsOf(ctx, gone)
	if err != nil {
		return 0, err
	}
	e.logTaken(ofGone)
	ofDead, err := e.db.TakeOverDeadJobs(ctx, e.cfg.DeadAfter)
	if err != nil {
		return 0, err
	}
	e.logTaken(ofDead)
	return len(ofGone) + len(ofDead), nil
}

func (e *Engine) logTaken(taken []store.TakenJob) {
	if len(taken) == 0 {
		return
	}
	kinds := map[string]int{}
	for _, j := range taken {
		kinds[j.Kind]++
	}
	e.log.Info("took over the jobs of a process that stopped", "jobs", len(taken), "kinds", kinds, "from", taken[0].From)
}
