"""One key per decision in interactive loops, and scripted input for tests.

On a terminal a key press is read raw (no Enter). When stdin is not a terminal (tests, pipes,
`printf 'a\\nr\\nq\\n' | qualcode review`), each line is one answer, so loops are scriptable.
End of input reads as "q" (quit), so an exhausted script never hangs.
"""

from __future__ import annotations

import sys


def _raw_key() -> str:
    import termios
    import tty

    fd = sys.stdin.fileno()
    old = termios.tcgetattr(fd)
    try:
        tty.setraw(fd)
        ch = sys.stdin.read(1)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, old)
    if ch in ("\x03", "\x04"):  # Ctrl-C, Ctrl-D
        return "q"
    return ch


def read_key(prompt: str = "") -> str:
    """A single key on a terminal, else one line of input (stripped); "q" at end of input."""
    if prompt:
        sys.stderr.write(prompt)
        sys.stderr.flush()
    try:
        if sys.stdin.isatty():
            key = _raw_key()
            sys.stderr.write(key + "\n")
            return key
        line = sys.stdin.readline()
    except (OSError, ValueError):
        return "q"
    if line == "":
        return "q"
    return line.rstrip("\r\n").strip()


def read_line(prompt: str = "") -> str:
    """A whole line (a memo, a code name); empty at end of input."""
    if prompt:
        sys.stderr.write(prompt)
        sys.stderr.flush()
    try:
        line = sys.stdin.readline()
    except (OSError, ValueError):
        return ""
    return line.rstrip("\r\n")
