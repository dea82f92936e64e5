"""HL7 v2 escape sequences (v2.5 section 2.7) read by lowalp, against python-hl7 (``hl7``) on
the same messages.

Each case is one ORU^R01 message whose OBX-5 carries the escape. The field is unescaped by
lowalp with the delimiters and character set the reader takes from that message's MSH, and by
python-hl7's ``Message.unescape`` on the field python-hl7 parsed. Where python-hl7 reads the
standard as lowalp does, the two must agree; where it departs from the standard (or the
standard leaves the result open and lowalp decides), the case asserts lowalp's reading and
says why. Each message is also read end to end, to see the unescaped text reach the lab.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import hl7
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lowalp.adapters import hl7v2
from lowalp.adapters.base import ReadOptions
from lowalp.adapters.hl7v2.encoding import _Unescape
from lowalp.adapters.hl7v2.framing import _Message
from lowalp.adapters.hl7v2.message import _structure
from lowalp.knowledge import load_knowledge

MSH = "MSH|^~\\&|GHH LAB|ELAB-3|GHH OE|BLDG4|20260315120000||ORU^R01|MSG-{n}|P|2.5.1||||||{charset}"


@dataclass(frozen=True)
class Case:
    name: str
    vtype: str
    raw: str
    """OBX-5 as written."""
    lowalp: str
    """The field unescaped, by the standard (and lowalp's documented choices)."""
    agrees: bool
    """python-hl7's ``unescape`` gives the same."""
    why: str = ""
    """Where python-hl7 departs: what it gives, and why lowalp does not."""
    charset: str = ""
    msh2: str = "^~\\&"
    warns: bool = False
    """lowalp says it could not read a sequence (kept as written)."""


CASES = [
    Case("field separator", "ST", "a\\F\\b", "a|b", True),
    Case("component separator", "ST", "a\\S\\b", "a^b", True),
    Case("subcomponent separator", "ST", "a\\T\\b", "a&b", True),
    Case("repetition separator", "ST", "a\\R\\b", "a~b", True),
    Case("escape character", "ST", "a\\E\\b", "a\\b", True),
    # the review's case: the escape character, F, the escape character -- the text \F\
    Case("escaped escape around F", "ST", "\\E\\F\\E\\", "\\F\\", True),
    Case(
        "delimiters in a sentence",
        "ST",
        "Hemolyzed \\T\\ lipemic \\F\\ redraw",
        "Hemolyzed & lipemic | redraw",
        True,
    ),
    Case("other delimiters declared in MSH-2", "ST", "a!F!b!E!c", "a|b!c", True, msh2="^~!&"),
    Case("hexadecimal, ASCII", "ST", "\\X414C50\\ low", "ALP low", True),
    Case(
        "hexadecimal in Latin-1 (MSH-18 8859/1)",
        "ST",
        "caf\\XE9\\",
        "café",
        True,
        charset="8859/1",
    ),
    Case(
        "hexadecimal in UTF-8 (MSH-18 UNICODE UTF-8)",
        "ST",
        "caf\\XC3A9\\",
        "café",
        False,
        "python-hl7 reads each byte as a character whatever MSH-18 says (cafÃ©); section 2.7 "
        "gives the bytes of the message's character set, and in UTF-8 C3 A9 is é",
        charset="UNICODE UTF-8",
    ),
    Case(
        "hexadecimal in Greek (MSH-18 8859/7)",
        "ST",
        "\\XE1\\",
        "α",
        False,
        "python-hl7 gives á (the byte read as Latin-1); in ISO 8859-7, which MSH-18 names, E1 is α",
        charset="8859/7",
    ),
    Case(
        "hexadecimal with an odd number of digits",
        "ST",
        "x\\XABC\\",
        "x\\XABC\\",
        False,
        "python-hl7 reads the last digit alone as a byte (x«\\x0c); hexadecimal data is bytes, two "
        "digits each, so this is not data: lowalp keeps it as written and warns",
        warns=True,
    ),
    Case(
        "hexadecimal that is not hexadecimal",
        "ST",
        "x\\XZZ\\",
        "x\\XZZ\\",
        False,
        "python-hl7 drops it (and logs an error); lowalp keeps what it cannot read, and warns",
        warns=True,
    ),
    Case(
        "highlighting",
        "ST",
        "\\H\\See comment\\N\\",
        "See comment",
        False,
        "python-hl7 writes _ for \\H\\ and \\N\\ (_See comment_); they start and end highlighting, "
        "a way of showing the text, and add no character to it",
    ),
    Case(
        "highlighting inside a number (NM)",
        "NM",
        "2\\H\\0\\N\\",
        "20",
        False,
        "python-hl7 gives 2_0_, which is not a number; without the highlighting it is 20",
    ),
    Case(
        "locally defined",
        "ST",
        "<\\Z01\\5",
        "<\\Z01\\5",
        False,
        "python-hl7 drops it (<5, and logs an error); its meaning is agreed between sender and "
        "receiver, so dropping it can change a value: lowalp keeps it as written, and warns",
        warns=True,
    ),
    Case(
        "switch to Latin-1, then hexadecimal",
        "ST",
        "\\C2D41\\caf\\XE9\\",
        "café",
        True,
    ),
    Case(
        "switch to JIS X 0208 and back to ASCII",
        "ST",
        "\\M2442\\0!\\C2842\\ ok",
        "亜 ok",
        False,
        "python-hl7 cannot switch character sets (its docstring says so) and gives '0! ok'; in "
        "JIS X 0208, which \\M2442\\ designates (section 2.7.2, ISO-IR 87), the bytes 30 21 are 亜",
    ),
    Case(
        "a line break (FT .br)",
        "FT",
        "one\\.br\\two",
        "one\ntwo",
        True,
        # python-hl7 ends the line with \r, the HL7 segment terminator; lowalp writes lines with
        # \n. The comparison below maps one to the other: the reading is the same.
    ),
    Case("centre the next line (FT .ce)", "FT", "title\\.ce\\text", "title\ntext", True),
    Case("skip spaces (FT .sk)", "FT", "a\\.sk3\\b", "a   b", True),
    Case("word-wrap on and off (FT .fi .nf)", "FT", "\\.nf\\a b\\.fi\\", "a b", True),
    Case(
        "a blank line (FT .sp)",
        "FT",
        "one\\.sp\\two",
        "one\n\ntwo",
        False,
        "python-hl7 makes .sp a line break (one\\rtwo); 2.7.6 says .sp ends the line and skips "
        "one line when no number is given",
    ),
    Case(
        "two blank lines (FT .sp2)",
        "FT",
        "one\\.sp2\\two",
        "one\n\n\ntwo",
        False,
        "python-hl7 gives two line breaks (one\\r\\rtwo); .sp 2 ends the line and skips two",
    ),
    Case(
        "indent (FT .in+4)",
        "FT",
        "\\.in+4\\first\\.br\\second",
        "    first\n    second",
        False,
        "python-hl7 writes four spaces per unit, 16 spaces once; .in+4 moves the left margin "
        "four spaces, for every line that follows",
    ),
    Case(
        "a hanging indent (FT .in+4 .ti-4)",
        "FT",
        "\\.in+4\\\\.ti-4\\1. first\\.br\\second",
        "1. first\n    second",
        False,
        "python-hl7 writes 16 spaces for .in+4 and none for .ti-4; .ti indents the one line "
        "from the margin (here back to it), so the list item hangs",
    ),
    Case(
        "not an escape sequence (a Windows path)",
        "ST",
        "C:\\temp\\x",
        "C:\\temp\\x",
        False,
        "python-hl7 drops \\temp\\ (C:x) and logs an error; it is no sequence of section 2.7, so "
        "lowalp keeps it as written and warns",
        warns=True,
    ),
    Case(
        "an escape character with no closing one",
        "ST",
        "5 \\ 6",
        "5 \\ 6",
        False,
        "python-hl7 drops the rest of the field (5 ); no sequence is closed, so nothing is one",
    ),
]


def _message(case: Case, n: int = 1) -> str:
    msh = MSH.format(n=n, charset=case.charset)
    if case.msh2 != "^~\\&":
        msh = msh.replace("^~\\&", case.msh2, 1)
    flag = "" if case.vtype == "NM" else "L"
    return "\r".join(
        (
            msh,
            "PID|1||P1||DOE^JANE||19800101|F",
            "OBR|1|||24323-8^CMP^LN|||20260315080000",
            f"OBX|1|{case.vtype}|6768-6^ALP^LN||{case.raw}|U/L||{flag}|||F|||20260315080000",
        )
    )


def _python_hl7(case: Case) -> str:
    msg = hl7.parse(_message(case))
    raw = str(msg.segment("OBX")[5])
    assert raw == case.raw  # python-hl7 saw the same field
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # it calls logger.warn
        got: str = msg.unescape(raw)
    return got.replace("\r", "\n")


def _lowalp(case: Case) -> tuple[str, list[str]]:
    lines = _message(case).split("\r")
    enc, problems = _structure(_Message(1, list(enumerate(lines, start=1))))
    assert not problems
    raw = lines[3].split(enc.field)[5]
    return enc.unescape(raw), list(enc.notes)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_unescape_against_python_hl7(case: Case) -> None:
    ours, notes = _lowalp(case)
    assert ours == case.lowalp
    theirs = _python_hl7(case)
    if case.agrees:
        assert ours == theirs
    else:
        assert case.why, "say why python-hl7's reading is not taken"
        assert ours != theirs
    assert bool(notes) == case.warns, notes


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_the_unescaped_field_reaches_the_lab(case: Case, tmp_path: Path) -> None:
    path = tmp_path / "m.hl7"
    path.write_bytes(_message(case).encode("utf-8") + b"\r")
    result = hl7v2.read(path, ReadOptions(), knowledge=load_knowledge())
    [lab] = [lab for c in result.cases for lab in c.labs]
    if case.vtype == "NM":
        assert (lab.value, lab.text) == (float(case.lowalp), None)
    else:
        assert lab.text == case.lowalp.strip()
        assert lab.qualifier == "low"  # from OBX-8: the text is not a number
    said = [w for w in result.warnings if w.startswith("message 1, OBX[1]: ")]
    _, notes = _lowalp(case)
    assert len(said) == len(notes)


def test_a_coded_value_is_split_into_components_before_it_is_unescaped(tmp_path: Path) -> None:
    path = tmp_path / "m.hl7"
    obx = "OBX|1|CWE|6768-6^ALP^LN||L^Low \\S\\ repeat advised^HL70078||||||F|||20260315"
    path.write_text(
        "\r".join(
            (MSH.format(n=1, charset=""), "PID|1||P1||||19800101|F", "OBR|1|||x|||20260315", obx)
        )
    )
    msg = hl7.parse(path.read_bytes().decode())
    their_text = msg.unescape(str(msg.segment("OBX")[5][0][1]))
    result = hl7v2.read(path, ReadOptions(), knowledge=load_knowledge())
    [lab] = [lab for c in result.cases for lab in c.labs]
    assert lab.text == their_text == "Low ^ repeat advised"
    assert lab.qualifier == "low"


def test_notes_and_units_are_unescaped_and_what_is_not_read_is_said(tmp_path: Path) -> None:
    path = tmp_path / "m.hl7"
    path.write_text(
        "\r".join(
            (
                MSH.format(n=1, charset=""),
                "PID|1||P\\T\\1||||19800101|F",
                "NTE|1|P|Known \\H\\hypophosphatasia\\N\\ in the family.\\.br\\See letter.",
                "OBR|1|||x|||20260315",
                "NTE|1|L|Tube \\Zred\\",
                "OBX|1|NM|6768-6^ALP^LN||21|U\\F\\L|35-104|L|||F|||20260315",
                "NTE|1|L|Repeat in \\XZ\\ weeks",
            )
        )
    )
    result = hl7v2.read(path, ReadOptions(), knowledge=load_knowledge())
    [case] = list(result.cases)
    assert case.id == "P&1"
    assert case.context.notes == "Known hypophosphatasia in the family.\nSee letter."
    [lab] = case.labs
    assert lab.unit == "U|L"
    assert lab.note == "Tube \\Zred\\\n\nRepeat in \\XZ\\ weeks"
    assert result.warnings == [
        "message 1, OBR[1], NTE-3: the locally defined escape \\Zred\\ has a meaning agreed "
        "between sender and receiver; kept as written.",
        "message 1, OBX[1]: the hexadecimal escape \\XZ\\ is not whole bytes of hexadecimal "
        "digits; kept as written.",
    ]


def test_a_character_set_lowalp_cannot_read_is_said(tmp_path: Path) -> None:
    path = tmp_path / "m.hl7"
    case = Case("", "ST", "\\XE9\\", "", False, charset="CNS 11643-1992")
    path.write_text(_message(case))
    result = hl7v2.read(path, ReadOptions(), knowledge=load_knowledge())
    [lab] = [lab for c in result.cases for lab in c.labs]
    assert lab.text == "\\XE9\\"
    assert result.warnings == [
        "message 1, OBX[1]: the hexadecimal escape \\XE9\\ is in the character set "
        "'CNS 11643-1992' (MSH-18), which lowalp cannot read; kept as written."
    ]


def test_latin1_bytes_after_a_switch_to_greek(tmp_path: Path) -> None:
    """A message that is not UTF-8 is read as Latin-1; after \\C2D46\\ (ISO-IR 126) its bytes are
    read again as ISO 8859-7."""
    path = tmp_path / "m.hl7"
    case = Case("", "ST", "\\C2D46\\\xe1\xeb\xf6\xe1", "", False)
    path.write_bytes(_message(case).encode("latin-1"))
    result = hl7v2.read(path, ReadOptions(), knowledge=load_knowledge())
    [lab] = [lab for c in result.cases for lab in c.labs]
    assert lab.text == "αλφα"


def test_escape_warnings_are_capped(tmp_path: Path) -> None:
    path = tmp_path / "m.hl7"
    lines = [MSH.format(n=1, charset=""), "PID|1||P1||||19800101|F", "OBR|1|||x|||20260315"]
    lines += [f"OBX|{i}|ST|6768-6^ALP^LN||\\Z{i}\\|U/L||L|||F|||2026031{i % 10}" for i in range(25)]
    path.write_text("\r".join(lines))
    result = hl7v2.read(path, ReadOptions(), knowledge=load_knowledge())
    assert sum("locally defined escape" in w for w in result.warnings) == 20
    assert "… and 5 more escape sequences not read." in result.warnings


_PIECES = st.sampled_from(
    [
        "\\",
        "F",
        "S",
        "E",
        "H",
        "N",
        "X",
        "Z",
        "C",
        "M",
        "2D41",
        "2442",
        "C3A9",
        "4",
        ".br",
        ".sp",
        ".in+2",
        ".ti-1",
        ".sk",
        "a",
        " ",
        "é",
        "0!",
        "|",
    ]
)


@given(st.lists(_PIECES, max_size=12).map("".join))
def test_the_common_sequences_read_quickly_read_as_the_full_reading(text: str) -> None:
    enc = hl7v2._Enc()
    assert enc.unescape(text) == _Unescape(hl7v2._Enc(), text).run()


@given(
    st.lists(_PIECES, max_size=12).map("".join),
    st.sampled_from(["", "ASCII", "8859/7", "UNICODE UTF-8", "UNICODE UTF-16", "ISO IR87", "X"]),
    st.booleans(),
)
def test_no_text_and_no_character_set_makes_unescape_fail(
    text: str, charset: str, latin1: bool
) -> None:
    enc = hl7v2._Enc(charset=charset, read_as="latin-1" if latin1 else "utf-8")
    assert isinstance(enc.unescape(text), str)
