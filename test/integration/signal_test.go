package integration

import "syscall"

var syscallTERM = syscall.SIGTERM
