package zones

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// proc is one process of the world. It runs in its own process group, so stopping it ends whatever it
// started, and it gets SIGKILL if the process that started it dies (Pdeathsig), so an interrupted run
// leaves nothing behind.
type proc struct {
	name string
	log  string
	cmd  *exec.Cmd
	done chan struct{}
	// stopped is set when the world ended it on purpose (a registry taken down by a scenario).
	stopped atomic.Bool
}

// procs is the set of processes a world started, stopped in reverse order.
type procs struct {
	mu   sync.Mutex
	list []*proc
}

// start runs bin with args and env (added to this process's environment), its output in dir/name.log.
func (ps *procs) start(dir, name string, env []string, bin string, args ...string) (*proc, error) {
	logPath := filepath.Join(dir, name+".log")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &proc{name: name, log: logPath, cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	ps.mu.Lock()
	ps.list = append(ps.list, p)
	ps.mu.Unlock()
	return p, nil
}

// stop ends p's process group: SIGTERM, then SIGKILL after a grace period.
func (p *proc) stop() {
	p.stopped.Store(true)
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// exited reports whether p ended, with the tail of its log.
func (p *proc) exited() error {
	if p.stopped.Load() {
		return nil
	}
	select {
	case <-p.done:
		return fmt.Errorf("%s exited (%v); last log lines:\n%s", p.name, p.cmd.ProcessState, tail(p.log, 15))
	default:
		return nil
	}
}

func (ps *procs) stopAll() {
	ps.mu.Lock()
	list := ps.list
	ps.list = nil
	ps.mu.Unlock()
	for i := len(list) - 1; i >= 0; i-- {
		list[i].stop()
	}
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// waitFor polls ok until it returns nil, p exits or the deadline passes.
func waitFor(ctx context.Context, p *proc, what string, timeout time.Duration, ok func() error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		if last = ok(); last == nil {
			return nil
		}
		if p != nil {
			if err := p.exited(); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			msg := ""
			if p != nil {
				msg = "\n" + tail(p.log, 15)
			}
			return fmt.Errorf("waiting for %s: %w (last: %v)%s", what, ctx.Err(), last, msg)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// freePort returns a 127.0.0.1 port nothing listens on now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func freePorts(n int) ([]int, error) {
	var ports []int
	var errs []error
	for range n {
		p, err := freePort()
		errs = append(errs, err)
		ports = append(ports, p)
	}
	return ports, errors.Join(errs...)
}

func dialable(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	return c.Close()
}
