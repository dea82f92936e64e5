"""The HL7 v2 delimiter grammar (v2.5.1 chapter 2, sections 2.5-2.7): the delimiters a MSH
declares, the escape sequences of section 2.7, and field and component access that never
fails on a short segment.

Escape sequences (section 2.7), read in one pass from left to right: an escape sequence is the
escape character, a code, its data and the escape character again, and none nests in another,
so ``\\E\\F\\E\\`` is the escape character, ``F`` and the escape character: the text ``\\F\\``.
Every sequence is read wherever :meth:`_Enc.unescape` is called (text, coded values, units,
ranges, identifiers and the OBX-5 number before it is read as one: ``2\\H\\0\\N\\`` is 20).

- ``\\F\\ \\S\\ \\T\\ \\R\\ \\E\\``: the field, component, subcomponent and repetition
  separators and the escape character that MSH-1 and MSH-2 declare.
- ``\\H\\`` and ``\\N\\`` (start and end highlighting) are removed: highlighting is a way of
  showing the text, not part of it, and plain text has none.
- ``\\Xdddd…\\`` (hexadecimal data) gives the bytes ``dd dd …`` read in the message's
  character set (MSH-18, table 0211: ``ASCII``, ``8859/1``…``8859/15``, ``UNICODE UTF-8`` …).
  With no MSH-18 the standard's default is ASCII; bytes beyond ASCII are then read as the
  reader reads a line, UTF-8 when they are valid UTF-8 and Latin-1 otherwise. A carriage return
  (``\\X0D\\``, ``\\X0D0A\\``) is a line break (``\\n``), as lowalp writes lines. An odd number
  of digits, a character that is not a hexadecimal digit, or bytes the character set cannot read
  leave the sequence as written, and the reader says so.
- ``\\Zdddd…\\`` (locally defined) is kept as written and the reader says so: its meaning is
  agreed between a sender and its receivers, and dropping it could silently change a value
  (``<\\Z01\\5`` is not ``<5``).
- ``\\Cxxyy\\`` and ``\\Mxxyyzz\\`` (section 2.7.2, character set switching with the ISO 2022
  designations of the ISO-IR repertoires: ``\\C2842\\`` ASCII, ``\\C2D41\\``…``\\C2D4D\\`` the
  ISO 8859 parts, ``\\C284A\\``/``\\C2949\\`` JIS X 0201, ``\\M2442\\`` JIS X 0208,
  ``\\M242844\\`` JIS X 0212 …) carry no text: the text after one, up to the next switch or
  the end of the value, is read in the repertoire it names. A switch to a repertoire not in
  that list is removed and the reader says the text after it may be misread.
- The formatting commands of FT (section 2.7.6) give plain text: ``\\.br\\`` ends the line;
  ``\\.sp n\\`` ends it and leaves ``n`` blank lines (one when ``n`` is absent); ``\\.ce\\``
  ends it (the next line is not centred: plain text has no width); ``\\.in ±n\\`` moves the
  left margin and ``\\.ti ±n\\`` indents the next line only, both written as leading spaces;
  ``\\.sk n\\`` is ``n`` spaces; ``\\.fi\\`` and ``\\.nf\\`` (word-wrap on and off) give
  nothing, as lowalp does not wrap text. They are read in every text type, not only FT:
  senders put ``\\.br\\`` in TX and ST too, and it can mean nothing but a line break.
- Anything else between two escape characters (an unknown code, an empty ``\\\\``, a Windows
  path written without escaping) is kept as written, and the reader says so.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from functools import cache

_CHARSETS = {
    "ASCII": "ascii",
    "ISO IR6": "ascii",
    "8859/1": "latin-1",
    "ISO IR100": "latin-1",
    "8859/2": "iso8859-2",
    "8859/3": "iso8859-3",
    "8859/4": "iso8859-4",
    "8859/5": "iso8859-5",
    "8859/6": "iso8859-6",
    "8859/7": "iso8859-7",
    "8859/8": "iso8859-8",
    "8859/9": "iso8859-9",
    "8859/15": "iso8859-15",
    "UNICODE": "utf-8",
    "UNICODE UTF-8": "utf-8",
    "ISO IR192": "utf-8",
    "UNICODE UTF-16": "utf-16",
    "UNICODE UTF-32": "utf-32",
    "ISO IR14": "shift_jis",
    "ISO IR13": "shift_jis",
    "ISO IR87": "iso2022_jp",
    "ISO IR159": "iso2022_jp_2",
    "GB 18030-2000": "gb18030",
    "KS X 1001": "euc_kr",
    "BIG-5": "big5",
}
"""MSH-18 (HL7 table 0211) -> the Python codec that reads hexadecimal data in it."""

_SWITCHES: dict[str, tuple[str, bytes]] = {
    "C2842": ("ascii", b""),  # ISO-IR 6, ASCII
    "C2D41": ("latin-1", b""),  # ISO-IR 100, Latin alphabet 1
    "C2D42": ("iso8859-2", b""),  # ISO-IR 101, Latin alphabet 2
    "C2D43": ("iso8859-3", b""),  # ISO-IR 109, Latin alphabet 3
    "C2D44": ("iso8859-4", b""),  # ISO-IR 110, Latin alphabet 4
    "C2D4C": ("iso8859-5", b""),  # ISO-IR 144, Cyrillic
    "C2D47": ("iso8859-6", b""),  # ISO-IR 127, Arabic
    "C2D46": ("iso8859-7", b""),  # ISO-IR 126, Greek
    "C2D48": ("iso8859-8", b""),  # ISO-IR 138, Hebrew
    "C2D4D": ("iso8859-9", b""),  # ISO-IR 148, Latin alphabet 5
    "C284A": ("iso2022_jp", b"\x1b(J"),  # ISO-IR 14, JIS X 0201 Romaji
    "C2949": ("shift_jis", b""),  # ISO-IR 13, JIS X 0201 Katakana (8-bit)
    "M2442": ("iso2022_jp", b"\x1b$B"),  # ISO-IR 87, JIS X 0208
    "M2440": ("iso2022_jp", b"\x1b$@"),  # ISO-IR 42, JIS C 6226-1978
    "M242844": ("iso2022_jp_2", b"\x1b$(D"),  # ISO-IR 159, JIS X 0212
    "M242943": ("euc_kr", b""),  # ISO-IR 149, KS X 1001 (8-bit)
    "M2441": ("iso2022_jp_2", b"\x1b$A"),  # ISO-IR 58, GB 2312
}
"""``\\Cxxyy\\`` / ``\\Mxxyyzz\\`` (HL7 v2.5 section 2.7.2; the hexadecimal values are the
bytes after ESC of the ISO 2022 designation) -> (codec, the ISO 2022 designation it needs)."""

_FORMAT = re.compile(r"\.(sp|br|fi|nf|in|ti|sk|ce)\s*([+-]?\d*)")
"""The formatting commands of FT (section 2.7.6), with their optional number."""
_HEX = re.compile(r"(?:[0-9A-Fa-f]{2})+")
_NEWLINES = re.compile(r"\r\n?")


@cache
def _sequence(esc: str) -> re.Pattern[str]:
    e = re.escape(esc)
    return re.compile(f"{e}([^{e}]*){e}")


@cache
def _common(esc: str) -> re.Pattern[str]:
    """The sequences most text carries, which need no state: the delimiters, highlighting and
    a line break."""
    e = re.escape(esc)
    return re.compile(f"{e}([FSTREHN]|\\.br){e}")


@cache
def _codec(charset: str) -> str | None:
    """The codec of MSH-18's first repetition (its first component), ``""`` when absent,
    ``None`` when it names a set lowalp cannot read."""
    name = charset.strip().upper()
    if not name:
        return ""
    return _CHARSETS.get(name) or _CHARSETS.get(name.replace("_", " "))


@dataclass(frozen=True, slots=True)
class _Enc:
    """The delimiters a MSH declares (HL7 v2.5.1 section 2.5.4) and its character set (MSH-18).

    ``notes`` collects what :meth:`unescape` could not read (one sentence each); the reader
    turns them into warnings with the segment's pointer and empties the list."""

    field: str = "|"
    comp: str = "^"
    rep: str = "~"
    esc: str = "\\"
    sub: str = "&"
    charset: str = ""
    """MSH-18 as written (its first repetition and component)."""
    read_as: str = "utf-8"
    """The codec the message's bytes were read with (``latin-1`` or the MSH-18 character set
    when they are not valid UTF-8)."""
    notes: list[str] = dataclasses.field(default_factory=list, compare=False)

    def unescape(self, text: str) -> str:
        """``text`` with every escape sequence of HL7 v2.5 section 2.7 read (see the module
        docstring); call it on one component or subcomponent, after the delimiters split it."""
        esc = self.esc
        if not esc or esc not in text:
            return text
        # When every escape character is in a common sequence, one substitution reads them
        # all, as the full reading would (sequences pair the escape characters in order).
        table = {"F": self.field, "S": self.comp, "T": self.sub, "R": self.rep, "E": esc}
        table |= {"H": "", "N": "", ".br": "\n"}
        out, n = _common(esc).subn(lambda m: table[m.group(1)], text)
        if 2 * n == text.count(esc):
            return out
        return _Unescape(self, text).run()

    def comps(self, value: str) -> list[str]:
        """Components of the first repetition."""
        return value.split(self.rep, 1)[0].split(self.comp)

    def decode(self, data: bytes, codec: str | None = None) -> str | None:
        """Bytes of a ``\\X…\\`` sequence as text, or ``None`` when they cannot be read."""
        if codec is None:
            codec = _codec(self.charset)
        if codec is None:
            return None
        try:
            if codec:
                return data.decode(codec)
            try:
                return data.decode("ascii")
            except UnicodeDecodeError:
                try:
                    return data.decode("utf-8")
                except UnicodeDecodeError:
                    return data.decode("latin-1")
        except (UnicodeDecodeError, LookupError):
            return None


class _Unescape:
    """One value read left to right: the text between sequences, and each sequence's output,
    with the margin, temporary indent and character set the FT commands and switches set."""

    __slots__ = ("enc", "indent", "line_start", "margin", "out", "switch", "text")

    def __init__(self, enc: _Enc, text: str) -> None:
        self.enc = enc
        self.text = text
        self.out: list[str] = []
        self.margin = 0
        self.indent: int | None = None
        self.line_start = True
        self.switch: tuple[str, bytes] | None = None

    def run(self) -> str:
        pos = 0
        for m in _sequence(self.enc.esc).finditer(self.text):
            if m.start() > pos:
                self.literal(self.text[pos : m.start()])
            self.sequence(m.group(1), m.group(0))
            pos = m.end()
        if pos < len(self.text):
            self.literal(self.text[pos:])
        return "".join(self.out)

    def put(self, s: str) -> None:
        """Printable text: the first on a line starts at the margin (and temporary indent)."""
        if not s:
            return
        if self.line_start:
            width = self.margin if self.indent is None else self.margin + self.indent
            if width > 0:
                self.out.append(" " * width)
            self.line_start = False
            self.indent = None
        self.out.append(s)

    def newline(self, count: int = 1) -> None:
        self.out.append("\n" * count)
        self.line_start = True
        self.indent = None

    def literal(self, s: str) -> None:
        """Text as written, read again in the repertoire a switch named."""
        if self.switch is not None:
            codec, designation = self.switch
            raw = s.encode(self.enc.read_as, "replace")
            got = self.enc.decode(designation + raw, codec)
            if got is None:
                self.enc.notes.append(
                    f"the text {s!r} after a character set switch cannot be read in that set; kept as read"
                )
            else:
                s = got
        self.lines(s)

    def lines(self, s: str) -> None:
        for i, line in enumerate(s.split("\n")):
            if i:
                self.newline()
            self.put(line)

    def sequence(self, code: str, written: str) -> None:
        enc = self.enc
        single = {"F": enc.field, "S": enc.comp, "T": enc.sub, "R": enc.rep, "E": enc.esc}
        if code in single:
            self.put(single[code])
        elif code in ("H", "N"):
            pass
        elif code.startswith("."):
            self.command(code, written)
        elif code[:1] == "X":
            self.hexadecimal(code[1:], written)
        elif code[:1] == "Z":
            self.put(written)
            enc.notes.append(
                f"the locally defined escape {written} has a meaning agreed between sender and receiver; kept as written"
            )
        elif code[:1] in ("C", "M"):
            switch = _SWITCHES.get(code.upper())
            if switch is None:
                enc.notes.append(
                    f"the character set switch {written} names a repertoire lowalp cannot read; the text after it may be misread"
                )
            self.switch = None if switch == ("ascii", b"") else switch
        else:
            self.put(written)
            enc.notes.append(
                f"{written} is not an escape sequence of HL7 v2 (section 2.7); kept as written"
            )

    def hexadecimal(self, digits: str, written: str) -> None:
        why = ""
        got: str | None = None
        if not digits:
            why = "has no digits"
        elif not _HEX.fullmatch(digits):
            why = "is not whole bytes of hexadecimal digits"
        elif self.switch is None and _codec(self.enc.charset) is None:
            why = f"is in the character set {self.enc.charset!r} (MSH-18), which lowalp cannot read"
        else:
            codec = self.switch[0] if self.switch else None
            prefix = self.switch[1] if self.switch else b""
            got = self.enc.decode(prefix + bytes.fromhex(digits), codec)
            if got is None:
                name = self.enc.charset or "ASCII"
                why = f"gives bytes that are not text in {name}"
        if got is None:
            self.put(written)
            self.enc.notes.append(f"the hexadecimal escape {written} {why}; kept as written")
            return
        self.lines(_NEWLINES.sub("\n", got))

    def command(self, code: str, written: str) -> None:
        m = _FORMAT.fullmatch(code)
        if m is None:
            self.put(written)
            self.enc.notes.append(
                f"{written} is not a formatting command of HL7 v2 FT (section 2.7.6); kept as written"
            )
            return
        name, arg = m.group(1), m.group(2)
        number = int(arg) if arg.lstrip("+-") else None
        if name == "br":
            self.newline()
        elif name == "sp":
            self.newline(1 + max(0, 1 if number is None else number))
        elif name == "ce":
            self.newline()
        elif name == "sk":
            self.put(" " * max(0, 1 if number is None else number))
        elif name == "in" and number is not None:
            relative = arg[:1] in "+-"
            self.margin = max(0, self.margin + number if relative else number)
        elif name == "ti" and number is not None:
            self.indent = number
        # .fi and .nf: word-wrap on and off; lowalp does not wrap text


def _get(fields: list[str], n: int) -> str:
    return fields[n] if n < len(fields) else ""


def _at(items: list[str], n: int) -> str:
    return items[n] if n < len(items) else ""
