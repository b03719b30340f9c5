//go:build !linux

package faultsuite

import "syscall"

// procAttr makes a started server its own process group.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
