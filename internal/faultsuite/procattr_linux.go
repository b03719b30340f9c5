package faultsuite

import "syscall"

// procAttr makes a started server its own process group and kills it when
// the test process dies, so a crashed test leaves no server behind.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
