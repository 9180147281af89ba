"""PlainLines: a log receives each line as a terminal would have shown it."""

import io

from energy_trading.cli.plain_output import PlainLines


def test_lines_lose_escape_codes_and_overwritten_spinner_frames() -> None:
    log = io.StringIO()
    plain = PlainLines(log)
    plain.write("\rTransaction sent: \x1b[0;1;34m0xab\x1b[0;m\n  Gas used: \x1b[0;1;34m21000\x1b[0;m")
    assert log.getvalue() == "Transaction sent: 0xab\n"  # the second line waits for its end
    plain.write("\n\rWaiting for confirmation... -\rWaiting for confirmation... \\")
    plain.write("\r  Token.transfer confirmed   Block: \x1b[0;1;34m7\x1b[0;m\nlast")
    plain.close()
    assert log.getvalue().splitlines() == [
        "Transaction sent: 0xab",
        "  Gas used: 21000",
        "  Token.transfer confirmed   Block: 7",
        "last",
    ]


def test_crlf_line_endings_keep_their_text() -> None:
    log = io.StringIO()
    plain = PlainLines(log)
    plain.write("one\r\ntwo\r\n")
    assert log.getvalue() == "one\ntwo\n"
    assert not plain.isatty()
