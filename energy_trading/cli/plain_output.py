"""Plain text for logs from programs that write terminal effects unconditionally.

brownie 1.22 writes its transaction lines with ANSI colour codes and redraws a "Waiting for confirmation"
spinner with carriage returns whether or not its output is a terminal (the colours are constants in its
compiled `network.transaction` module, so `console.show_colors: false` does not reach them). Piped into a log,
that is escape codes and spinner frames. `plain_stdout_when_piped()` replaces `sys.stdout`, when it is not a
terminal, by a writer that emits each line as a terminal would have shown it: the text after the line's last
carriage return, without escape sequences. No library does this for a live stream (the `strip-ansi` style
helpers work on whole strings and keep the spinner frames), hence these few lines.
"""

from __future__ import annotations

import re
import sys
from typing import TextIO

__all__ = ["PlainLines", "plain_stdout_when_piped"]

#: CSI sequences (colours, cursor moves, line erases): ESC [ parameters final-byte.
_CSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


class PlainLines:
    """A text stream that forwards whole lines to `target`, each as a terminal shows it (escape sequences
    removed, only what follows the line's last carriage return)."""

    def __init__(self, target: TextIO) -> None:
        self.target = target
        self._line = ""

    def write(self, text: str) -> int:
        """Buffer `text`; forward every completed line. Returns len(text), as `TextIO.write` does."""
        self._line += text
        *done, self._line = self._line.split("\n")
        for line in done:
            self.target.write(self.visible(line) + "\n")
        return len(text)

    def flush(self) -> None:
        """Flush the target (a partial line stays buffered until its newline or `close`)."""
        self.target.flush()

    def close(self) -> None:
        """Forward what is left of the last line."""
        if self._line:
            self.target.write(self.visible(self._line) + "\n")
            self._line = ""
        self.target.flush()

    def isatty(self) -> bool:
        """Not a terminal (that is why this writer is in place)."""
        return False

    def __getattr__(self, name: str) -> object:
        return getattr(self.target, name)  # encoding, fileno, ... of the real stream

    @staticmethod
    def visible(line: str) -> str:
        """What a terminal shows of one line: after its last carriage return, without escape sequences."""
        return _CSI.sub("", line.rsplit("\r", 1)[-1] if "\r" in line.rstrip("\r") else line.rstrip("\r"))


def plain_stdout_when_piped() -> None:
    """Put `PlainLines` in front of `sys.stdout` when it is not a terminal (a pipe, a file); no-op otherwise
    or when already done."""
    if not sys.stdout.isatty() and not isinstance(sys.stdout, PlainLines):
        plain = PlainLines(sys.stdout)
        sys.stdout = plain  # type: ignore[assignment]
        import atexit

        atexit.register(plain.close)
