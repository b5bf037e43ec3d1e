#!/usr/bin/env python3
"""Runs a command under a seccomp filter that makes adjtimex(2) and clock_adjtime(2) fail with
EPERM, as systemd's ProtectClock=yes (or SystemCallFilter=~@clock) does, and allows everything
else. Usage: deny-clock-syscalls.py <program> [args...]. Linux x86_64 and aarch64."""
import ctypes
import os
import platform
import sys

# (adjtimex, clock_adjtime) by architecture: glibc and musl implement adjtimex() as
# clock_adjtime(CLOCK_REALTIME), older C libraries call adjtimex directly.
SYSCALLS = {"x86_64": (159, 305), "aarch64": (171, 266)}
AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
EPERM = 1

BPF_LD_W_ABS, BPF_JEQ_K, BPF_RET_K = 0x20, 0x15, 0x06
SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO = 0x7FFF0000, 0x00050000
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2


class SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(SockFilter))]


def main():
    machine = platform.machine()
    if machine not in SYSCALLS or len(sys.argv) < 2:
        sys.exit(f"usage: {sys.argv[0]} <program> [args...] (x86_64 or aarch64; this is {machine})")
    denied = SYSCALLS[machine]
    # seccomp_data: nr at offset 0, arch at offset 4. Another architecture's calls pass untouched.
    program = [(BPF_LD_W_ABS, 0, 0, 4), (BPF_JEQ_K, 0, len(denied) + 1, AUDIT_ARCH[machine]), (BPF_LD_W_ABS, 0, 0, 0)]
    for i, nr in enumerate(denied):
        program.append((BPF_JEQ_K, len(denied) - i, 0, nr))  # to the ERRNO return below
    program += [(BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW), (BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | EPERM)]
    filters = (SockFilter * len(program))(*[SockFilter(*insn) for insn in program])
    prog = SockFprog(len(program), filters)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 or libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        sys.exit(f"seccomp: {os.strerror(ctypes.get_errno())}")
    os.execvp(sys.argv[1], sys.argv[1:])


main()
