package chaos

import (
	"os/exec"
	"syscall"
)

// dieWithUs makes the kernel kill an instance when the chaos process dies, so none outlives a chaos run
// that was itself killed.
func dieWithUs(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
