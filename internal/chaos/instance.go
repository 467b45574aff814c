package chaos

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// instance is one real `pantryflow serve` process, started, killed and started again.
type instance struct {
	n    int // 1, 2, 3…: its name in the report and in the name of its log file
	bin  string
	env  []string
	addr string
	log  *os.File // the output of all its lives, appended

	mu   sync.Mutex
	cmd  *exec.Cmd
	exit chan struct{} // closed when the current process has exited
	up   bool          // it answered /readyz and has not been killed since
}

func newInstance(n int, bin, dir string, env []string) (*instance, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, fmt.Sprintf("instance-%d.log", n)), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	return &instance{n: n, bin: bin, addr: addr, log: f, env: append(slices.Clip(env), "PANTRYFLOW_ADDR="+addr)}, nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// command runs one of the binary's administrative commands (user create, token create) to its end.
func (in *instance) command(stdin string, args ...string) (string, error) {
	cmd := exec.Command(in.bin, args...)
	cmd.Env = in.env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("pantryflow %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(errOut.String()))
	}
	return strings.TrimSpace(out.String()), nil
}

// start runs `pantryflow serve` and waits until /readyz answers 200; it says how long that took.
func (in *instance) start(ctx context.Context) (time.Duration, error) {
	began := time.Now()
	fmt.Fprintf(in.log, "--- chaos: start at %s\n", began.Format(time.RFC3339Nano))
	cmd := exec.Command(in.bin, "serve")
	cmd.Env = in.env
	cmd.Stdout, cmd.Stderr = in.log, in.log
	dieWithUs(cmd)
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	exit := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exit)
	}()
	in.mu.Lock()
	in.cmd, in.exit = cmd, exit
	in.mu.Unlock()

	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := client.Get("http://" + in.addr + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				in.mu.Lock()
				in.up = true
				in.mu.Unlock()
				return time.Since(began), nil
			}
		}
		select {
		case <-exit:
			return 0, fmt.Errorf("instance %d exited before it was ready; see %s", in.n, in.log.Name())
		case <-ctx.Done():
			in.kill()
			return 0, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			in.kill()
			return 0, fmt.Errorf("instance %d was not ready 60 s after it started; see %s", in.n, in.log.Name())
		}
	}
}

// kill sends SIGKILL and waits until the process is gone.
func (in *instance) kill() {
	in.signal(syscall.SIGKILL, "kill")
}

// stop asks the process to shut down (SIGTERM) and waits.
func (in *instance) stop() {
	in.signal(syscall.SIGTERM, "stop")
}

func (in *instance) signal(sig syscall.Signal, what string) {
	in.mu.Lock()
	cmd, exit := in.cmd, in.exit
	in.up = false
	in.mu.Unlock()
	if cmd == nil {
		return
	}
	fmt.Fprintf(in.log, "--- chaos: %s at %s\n", what, time.Now().Format(time.RFC3339Nano))
	_ = cmd.Process.Signal(sig)
	<-exit
}

func (in *instance) isUp() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.up
}
