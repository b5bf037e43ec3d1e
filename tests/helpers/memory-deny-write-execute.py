#!/usr/bin/env python3
"""Runs a command under systemd's MemoryDenyWriteExecute=yes, in either of the forms systemd uses.

  memory-deny-write-execute.py prctl|seccomp COMMAND [ARG...]

prctl:   PR_SET_MDWE with PR_MDWE_REFUSE_EXEC_GAIN (Linux 6.3+; systemd 254+ uses it where it exists):
         no mapping may be writable and executable, and none may become executable.
seccomp: the filter systemd installs otherwise (src/shared/seccomp-util.c,
         seccomp_memory_deny_write_execute): mmap() with PROT_WRITE|PROT_EXEC, mprotect() and
         pkey_mprotect() with PROT_EXEC, shmat() with SHM_EXEC fail with EPERM.
Both are inherited across fork and execve. Exits 77 where the form is not available here.
"""
import ctypes
import os
import platform
import struct
import sys

PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN = 65, 1
PROT_WRITE, PROT_EXEC, SHM_EXEC = 0x2, 0x4, 0o100000
RET_ALLOW, RET_EPERM = 0x7FFF0000, 0x00050000 | 1
LD_ABS, JEQ, AND, RET = 0x20, 0x15, 0x54, 0x06
# struct seccomp_data: nr at 0, arch at 4, args[i] at 16 + 8 * i (the low 32 bits first).
ARG2 = 16 + 8 * 2
# audit arch, then the numbers of mmap, mprotect, pkey_mprotect, shmat
ARCHES = {
    'x86_64': (0xC000003E, 9, 10, 329, 30),
    'aarch64': (0xC00000B7, 222, 226, 288, 196),
}

libc = ctypes.CDLL(None, use_errno=True)


def fail(what, code=1):
    print(f'memory-deny-write-execute: {what}', file=sys.stderr)
    sys.exit(code)


def ins(code, jt, jf, k):
    return struct.pack('HBBI', code, jt, jf, k)


def seccomp_filter():
    arch = ARCHES.get(platform.machine())
    if arch is None:
        fail(f'no seccomp filter for {platform.machine()}', 77)
    audit, mmap, mprotect, pkey_mprotect, shmat = arch
    prog = [
        ins(LD_ABS, 0, 0, 4), ins(JEQ, 1, 0, audit), ins(RET, 0, 0, RET_ALLOW),  # 0-2: other ABIs pass
        ins(LD_ABS, 0, 0, 0),                                                   # 3: syscall number
        ins(JEQ, 4, 0, mmap), ins(JEQ, 6, 0, mprotect), ins(JEQ, 5, 0, pkey_mprotect), ins(JEQ, 7, 0, shmat),  # 4-7
        ins(RET, 0, 0, RET_ALLOW),                                              # 8
        ins(LD_ABS, 0, 0, ARG2), ins(AND, 0, 0, PROT_WRITE | PROT_EXEC), ins(JEQ, 6, 7, PROT_WRITE | PROT_EXEC),  # 9-11 mmap
        ins(LD_ABS, 0, 0, ARG2), ins(AND, 0, 0, PROT_EXEC), ins(JEQ, 3, 4, PROT_EXEC),  # 12-14 (pkey_)mprotect
        ins(LD_ABS, 0, 0, ARG2), ins(AND, 0, 0, SHM_EXEC), ins(JEQ, 0, 1, SHM_EXEC),    # 15-17 shmat
        ins(RET, 0, 0, RET_EPERM), ins(RET, 0, 0, RET_ALLOW),                   # 18-19
    ]
    buf = ctypes.create_string_buffer(b''.join(prog))

    class Fprog(ctypes.Structure):
        _fields_ = [('len', ctypes.c_ushort), ('filter', ctypes.c_void_p)]

    fprog = Fprog(len(prog), ctypes.addressof(buf))
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 or libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        fail(f'seccomp: {os.strerror(ctypes.get_errno())}')


def mdwe():
    if libc.prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) != 0:
        errno = ctypes.get_errno()
        fail(f'PR_SET_MDWE: {os.strerror(errno)} (Linux 6.3 or newer has it)', 77 if errno == 22 else 1)


if len(sys.argv) < 3 or sys.argv[1] not in ('prctl', 'seccomp'):
    fail(__doc__.strip().splitlines()[2].strip(), 2)
(mdwe if sys.argv[1] == 'prctl' else seccomp_filter)()
os.execvp(sys.argv[2], sys.argv[2:])
