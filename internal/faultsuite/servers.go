package faultsuite

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// A Server is a server process this suite started itself (a private
// redis-server or memcached on a free port), so that it can be stopped and
// started again without touching the servers other tests share.
type Server struct {
	name string
	args []string
	addr string
	dir  string
	up   func(addr string) bool

	mu  sync.Mutex
	cmd *exec.Cmd
}

// freePort returns a port of 127.0.0.1 that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startServer runs bin with args (in which every "{port}" is replaced by a
// free port) in a temporary directory, waits until up answers and stops
// the process when the test ends.
func startServer(t testing.TB, name, bin string, port int, up func(addr string) bool, args ...string) *Server {
	t.Helper()
	path, err := exec.LookPath(bin)
	if err != nil {
		t.Fatalf("%s: %v (scripts/services.sh installs it)", name, err)
	}
	s := &Server{name: name, addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), dir: t.TempDir(), up: up}
	for _, a := range args {
		s.args = append(s.args, strings.ReplaceAll(strings.ReplaceAll(a, "{port}", strconv.Itoa(port)), "{dir}", s.dir))
	}
	s.args = append([]string{path}, s.args...)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop() })
	return s
}

// Addr returns the server's address (host:port).
func (s *Server) Addr() string { return s.addr }

// Start starts the server (again) on its port and waits until it answers.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return nil
	}
	logf, err := os.OpenFile(filepath.Join(s.dir, s.name+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(s.args[0], s.args[1:]...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = s.dir, logf, logf
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start %s: %w", s.name, err)
	}
	logf.Close()
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	s.cmd = cmd
	deadline := time.Now().Add(30 * time.Second)
	for !s.up(s.addr) {
		select {
		case <-exited:
			s.cmd = nil
			log, _ := os.ReadFile(filepath.Join(s.dir, s.name+".log"))
			return fmt.Errorf("%s exited before it answered: %s", s.name, log)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not answering on %s after 30 s", s.name, s.addr)
		}
	}
	return nil
}

// Stop kills the server (SIGKILL: a crash, not a clean shutdown) and waits
// until its port is closed.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return nil
	}
	s.cmd.Process.Kill()
	for i := 0; i < 200 && dialable(s.addr); i++ {
		time.Sleep(25 * time.Millisecond)
	}
	s.cmd = nil
	return nil
}

func dialable(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// ask sends req to addr and reports whether the first reply line starts
// with want.
func ask(addr, req, want string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte(req)); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, want)
}

func redisUp(addr string) bool    { return ask(addr, "PING\r\n", "+PONG") }
func memcacheUp(addr string) bool { return ask(addr, "version\r\n", "VERSION") }

// StartRedis starts a private redis-server without persistence; extra
// arguments are appended.
func StartRedis(t testing.TB, extra ...string) *Server {
	port := freePort(t)
	args := append([]string{"--bind", "127.0.0.1", "--port", "{port}", "--save", "", "--appendonly", "no",
		"--dir", "{dir}", "--daemonize", "no"}, extra...)
	return startServer(t, "redis", "redis-server", port, redisUp, args...)
}

// StartMemcached starts a private memcached.
func StartMemcached(t testing.TB) *Server {
	args := []string{"-l", "127.0.0.1", "-p", "{port}", "-U", "0", "-m", "64", "-I", "1m"}
	if os.Geteuid() == 0 {
		args = append(args, "-u", "root")
	}
	return startServer(t, "memcached", "memcached", freePort(t), memcacheUp, args...)
}

// StartCluster starts a private three-primary Redis Cluster whose nodes
// announce the given client ports (the ports of proxies in front of them)
// instead of their own, so that a cluster client, which connects to the
// addresses the cluster reports, goes through the proxies for every node,
// redirections included. It returns the nodes' own addresses.
func StartCluster(t testing.TB, announce [3]int) []string {
	t.Helper()
	var addrs []string
	for i := 0; i < 3; i++ {
		bus := freePort(t)
		s := StartRedis(t, "--cluster-enabled", "yes", "--cluster-config-file", "{dir}/nodes.conf",
			"--cluster-node-timeout", "5000", "--cluster-port", strconv.Itoa(bus),
			"--cluster-announce-ip", "127.0.0.1", "--cluster-announce-port", strconv.Itoa(announce[i]),
			"--cluster-announce-bus-port", strconv.Itoa(bus))
		addrs = append(addrs, s.Addr()+"@"+strconv.Itoa(bus))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	slots := [3][2]int{{0, 5460}, {5461, 10922}, {10923, 16383}}
	var clients []*goredis.Client
	for i, a := range addrs {
		addr, _, _ := strings.Cut(a, "@")
		c := goredis.NewClient(&goredis.Options{Addr: addr})
		defer c.Close()
		clients = append(clients, c)
		if err := c.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", slots[i][0], slots[i][1]).Err(); err != nil {
			t.Fatalf("cluster addslots on %s: %v", addr, err)
		}
	}
	for _, a := range addrs[1:] {
		addr, bus, _ := strings.Cut(a, "@")
		host, port, _ := net.SplitHostPort(addr)
		if err := clients[0].Do(ctx, "CLUSTER", "MEET", host, port, bus).Err(); err != nil {
			t.Fatalf("cluster meet %s: %v", a, err)
		}
	}
	for _, c := range clients {
		for {
			info, err := c.ClusterInfo(ctx).Result()
			if err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, "cluster_known_nodes:3") {
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("private cluster not ready after 60 s: %q, %v", info, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i], _, _ = strings.Cut(a, "@")
	}
	return out
}

// StartSentinel starts a private Sentinel on a free port that monitors the
// primary at masterAddr under name (quorum 1, down after 2 s).
func StartSentinel(t testing.TB, name, masterAddr string) *Server {
	t.Helper()
	host, port, _ := net.SplitHostPort(masterAddr)
	sp := freePort(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "sentinel.conf")
	text := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nsentinel monitor %s %s %s 1\nsentinel down-after-milliseconds %s 2000\nsentinel failover-timeout %s 10000\n",
		sp, dir, name, host, port, name, name)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	up := func(addr string) bool { return ask(addr, "SENTINEL get-master-addr-by-name "+name+"\r\n", "*2") }
	return startServer(t, "sentinel", "redis-server", sp, up, conf, "--sentinel")
}
