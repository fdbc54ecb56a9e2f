"""berth's own pty relay: `run` with process.terminal and `exec -t`, both without
--console-socket. berth runs under a pty made here (its controlling terminal, like a user's
shell), so the test sees what a user sees: the container's tty, the window size, input typed
at the terminal, SIGWINCH, the exit status, and the terminal mode restored afterwards."""
import fcntl
import os
import select
import struct
import subprocess
import termios
import time

import pytest


def set_winsize(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


class UnderPty:
    """berth with a pty as stdin/stdout/stderr and controlling terminal."""

    def __init__(self, berth, args, rows=27, cols=83):
        self.master, self.slave = os.openpty()
        set_winsize(self.slave, rows, cols)
        self.mode_before = termios.tcgetattr(self.slave)
        self.buf = b""

        def ctty():
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.proc = subprocess.Popen(berth.argv(*args), stdin=self.slave, stdout=self.slave,
                                     stderr=self.slave, env=berth.env(), start_new_session=True,
                                     preexec_fn=ctty, close_fds=True)
        berth.popens.append(self.proc)

    def read_until(self, needle, timeout=10):
        deadline = time.monotonic() + timeout
        while needle.encode() not in self.buf and time.monotonic() < deadline:
            r, _, _ = select.select([self.master], [], [], 0.1)
            if r:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                self.buf += chunk
        return self.text

    @property
    def text(self):
        return self.buf.decode(errors="replace").replace("\r", "")

    def lines(self):
        return [l.strip() for l in self.text.splitlines() if l.strip()]

    def write(self, data):
        os.write(self.master, data.encode())

    def wait(self, timeout=15):
        rc = self.proc.wait(timeout=timeout)
        self.read_until("\0never\0", timeout=0.3)
        return rc

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)
        os.close(self.slave)


@pytest.fixture
def under_pty(berth):
    made = []

    def make(*args, **kw):
        p = UnderPty(berth, args, **kw)
        made.append(p)
        return p

    yield make
    for p in made:
        p.close()


def run_args(berth, b, cid):
    berth.prepare(b)
    berth.track(cid, b)
    return ("run", "--bundle", b.path, cid)


def test_run_terminal_without_console_socket(berth, bundle, under_pty):
    b = bundle(shared_rootfs=True, terminal=True)
    b.sh("tty; stty size; test -t 0 && echo stdin-tty; test -t 1 && echo stdout-tty; exit 3")
    p = under_pty(*run_args(berth, b, "relay1"), rows=27, cols=83)
    rc = p.wait()
    assert rc == 3, p.text
    lines = p.lines()
    assert lines[0] in ("/dev/console", "/dev/pts/0"), p.text
    assert lines[1] == "27 83", f"the pty gets berth's window size: {p.text!r}"
    assert "stdin-tty" in lines and "stdout-tty" in lines, p.text
    # berth put its terminal in raw mode while relaying and restored it on exit
    assert termios.tcgetattr(p.slave) == p.mode_before
    berth.assert_nothing_left()


def test_run_terminal_relays_input(berth, bundle, under_pty):
    b = bundle(shared_rootfs=True, terminal=True)
    b.sh("echo ready; read line; echo got:$line")
    p = under_pty(*run_args(berth, b, "relay2"))
    p.read_until("ready")
    # raw mode: the \r goes through untouched, the container's pty turns it into \n
    p.write("hello there\r")
    assert p.wait() == 0, p.text
    assert "got:hello there" in p.lines(), p.text


def test_run_terminal_sigwinch_resizes(berth, bundle, under_pty):
    b = bundle(shared_rootfs=True, terminal=True)
    b.sh("trap 'stty size; exit 0' WINCH; echo ready; while :; do sleep 0.1; done")
    p = under_pty(*run_args(berth, b, "relay3"), rows=20, cols=70)
    p.read_until("ready")
    set_winsize(p.slave, 33, 111)  # the kernel sends SIGWINCH to berth, berth resizes the pty
    assert p.wait() == 0, p.text
    assert "33 111" in p.lines(), p.text


def test_run_terminal_signal_forwarded(berth, bundle, under_pty):
    b = bundle(shared_rootfs=True, terminal=True)
    b.sh("trap 'exit 42' TERM; echo ready; while :; do sleep 0.1; done")
    p = under_pty(*run_args(berth, b, "relay4"))
    p.read_until("ready")
    p.proc.terminate()
    assert p.wait() == 42, p.text
    assert termios.tcgetattr(p.slave) == p.mode_before


def test_run_terminal_stdio_not_a_tty(berth, bundle):
    """stdin /dev/null and stdout a file: the relay still copies the pty's output."""
    b = bundle(shared_rootfs=True, terminal=True)
    b.sh("test -t 1 && echo container-stdout-is-a-tty; exit 5")
    res = berth.run("relay5", b)
    assert res.returncode == 5, res
    assert "container-stdout-is-a-tty" in res.stdout, res
    berth.assert_nothing_left()


def test_run_detach_terminal_needs_console_socket(berth, bundle):
    b = bundle(shared_rootfs=True, terminal=True, args=["true"])
    res = berth.run("relay6", b, "-d")
    assert res.returncode == 1, res
    assert "--console-socket" in res.stderr, res
    berth.assert_nothing_left()


def test_run_no_terminal_unchanged(berth, bundle):
    """Without process.terminal, run passes its stdio through as before."""
    b = bundle(shared_rootfs=True, args=["sh", "-c", "test -t 1 || echo not-a-tty"])
    assert berth.run_ok(b) == "not-a-tty\n"


def test_exec_tty_without_console_socket(berth, bundle, under_pty):
    b = bundle(shared_rootfs=True, args=["sleep", "60"])
    berth.create_and_start("relay7", b)
    p = under_pty("exec", "-t", "relay7", "sh", "-c", "tty; stty size; exit 4", rows=44, cols=99)
    assert p.wait() == 4, p.text
    lines = p.lines()
    assert lines[0].startswith("/dev/pts/"), p.text
    assert lines[1] == "44 99", p.text
    assert termios.tcgetattr(p.slave) == p.mode_before
    assert berth.state("relay7")["status"] == "running"


def test_exec_tty_relays_input(berth, bundle, under_pty):
    b = bundle(shared_rootfs=True, args=["sleep", "60"])
    berth.create_and_start("relay8", b)
    p = under_pty("exec", "-t", "relay8", "sh", "-c", "echo ready; read l; echo got:$l")
    p.read_until("ready")
    p.write("abc\r")
    assert p.wait() == 0, p.text
    assert "got:abc" in p.lines(), p.text
