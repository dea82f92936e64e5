"""HL7 v2.x ORU^R01 result messages: one message, a batch file, or messages simply concatenated.

What is read (HL7 v2.5.1 chapter 7, with the field mappings of the HL7 v2-to-FHIR IG 1.0.0):

- PID-3 patient identifier (first repetition, CX.1; PID-2 when PID-3 is empty, as v2.3 feeds
  do), PID-7 birth date (DTM; a time part is ignored; a partial date gives no birth date and a
  warning), PID-8 sex (``F``/``M``; ``O``, ``U``, ``A``, ``N`` give ``None``).
- OBX-3 code: LOINC from the primary or the alternate triplet whose coding system is ``LN``;
  otherwise the local code (with its coding-system component) through ``options.code_map``;
  otherwise the record is rejected ("unknown code; add it to a --code-map file").
- OBX-2/OBX-5 value: ``NM`` a number; ``SN`` ``<^5`` / ``>^100`` / ``^45`` (``<=`` and ``>=``
  are read as ``<`` and ``>``, the text keeps ``<=5``); SN ranges (``^60^-^80``) and ratios are
  rejected; ``ST``/``TX``/``FT`` (repetitions of TX and FT are lines; FT formatting such as
  ``\\.br\\`` is a line break) and ``CE``/``CWE``/``CNE`` (the text component, else the
  code) are kept as the result's ``text``, and read as a plain number (``45``, ``<5``) or a
  qualifier word (``Positive``, ``Negative``, ``Within normal limits`` …) when they are one.
  Other text ("Hemolyzed") takes its qualifier from the OBX-8 flags; with no flag that gives one
  it is rejected with the text shown. A decimal comma is ambiguous and rejected.
- OBX-6 units: the first component as printed (``U/L^^UCUM`` -> ``U/L``; the text component
  when the first is empty). Units are never converted or guessed here: the core normaliser
  does that through the knowledge's synonym table. A code-map entry's unit is used only when
  OBX-6 is empty.
- OBX-7 reference range: parsed into ``ref_low``/``ref_high`` only in the unambiguous forms
  ``40-129``, ``40 - 129``, ``40-129 U/L`` (the unit equal to OBX-6), ``>40`` (low only),
  ``<5`` (high only); anything else is kept out and named in ``result.warnings``.
- OBX-8 flags (table 0078, repeating) are kept as the result's ``flag``, as sent: the first
  repetition that says a direction (``L``, ``LL``, ``H``, ``HH``, ``N``, ``POS``, ``NEG``,
  ``DET``, ``ND``: :mod:`lowalp.adapters.flags`), else the first (``A``); its first component
  when it is a CWE (v2.7 and later). When OBX-5 gives no qualifier (empty, or text that is not
  one), ``L``/``LL`` give ``low``, ``H``/``HH`` ``high``, ``N`` ``normal``, ``POS``/``DET``
  positive, ``NEG``/``ND`` negative; with a numeric value the value is kept and the flag is
  only carried.
- OBX-11 status (table 0085, mapped per the IG ConceptMap ObservationResultStatus): ``F``,
  ``C`` (corrected) and ``A`` (amended) are used; ``P`` (preliminary), ``X`` (cancelled),
  ``D``/``W`` (entered in error), every other code and an empty OBX-11 are rejected with the
  reason. A ``C``/``A``
  result supersedes an earlier result of the same patient, code, time and OBX-4 sub-id in the
  same file; the earlier one is then listed as rejected ("superseded").
- Observation time: OBX-14, falling back to the specimen's collection time (SPM-17), then
  OBR-7 (collection) and then OBR-22 (result time). ``YYYYMMDD[HHMM[SS[.S]]][+/-ZZZZ]``;
  the date is the local calendar date as written (a time zone offset is not applied: we work
  in days, and the clinician's day is the lab's local day). A time without a day (``202603``) or an impossible date rejects the record (the
  pointer names the field used: ``message 1, OBX[3], OBR[1]-7``); no time at all leaves the
  result undated (the normaliser then says so).
- SPM (specimen, v2.5.1 SPECIMEN group): SPM-2 is the result's ``specimen`` (the filler's id,
  else the placer's, with its namespace: ``F-77 (GHH LAB)``), the id the same-sample checks
  compare. The results of an order precede its SPM in ORU^R01 (7.3.1): they take the order's
  specimen when it has exactly one; an OBX after an SPM is of that specimen; with two or more
  SPMs after the results, which came from which is not said and the specimen is left unknown
  (a warning says so). A correction supersedes only the result of its own specimen.
- Escape sequences (v2.5 section 2.7) are read in every field that is read, after the
  delimiters split it: the delimiters, highlighting, hexadecimal data in the MSH-18 character
  set, character set switches and the FT formatting commands, as
  :mod:`lowalp.adapters.hl7v2.encoding` describes. What cannot be read (a locally defined
  ``\\Z…\\``, broken hexadecimal data, an unknown sequence) is kept as written and warned of,
  with the segment's pointer (at most 20 such warnings, then a count).
- NTE (notes and comments, NTE-3 with its repetitions as lines) by what it follows: after an
  OBX, the note of that result; after an OBR, a note on each result of that order (first, then
  the result's own); after PID or PD1, the patient's notes (``context.notes``). An NTE
  elsewhere, Z-segments, PV1, ORC and every other segment are skipped: they are structure,
  not records, and are not counted (SPM is read for the specimen of the results, and is not a
  record either).

Records and counts. A *record* is one OBX segment: ``stats.read`` counts OBX segments and
each is used (a lab of a case) or rejected (listed with a pointer such as
``message 2, OBX[5]-6``; OBX numbering is 1-based by position within the message, not OBX-1).
PID, OBR and the rest are not records. A message that is broken (no MSH first, a line that is
not a segment, no PID before an OBX, a MSH without message type or version, not ORU^R01, no
OBX at all) is rejected as a whole: each of its OBX segments is one rejected record (reason
"message rejected: …"), and a broken message without any OBX counts as one record, itself
rejected. So ``read == used + rejected`` always holds. When no message of the file is usable
the whole file is refused with :class:`~lowalp.errors.InputError` listing every problem with
its message number and line, and a hint.

Cases. One :class:`~lowalp.model.Case` per patient (PID-3) across all messages in the file,
``Case.id`` = the identifier. ORU carries results only: medications, events and findings do not
travel, so ``context`` holds at most the patient's notes.

Streaming. The file is read in binary chunks and split into segments (``\\r``, ``\\r\\n`` and
``\\n`` all end a segment; MLLP framing characters ``\\x0b``/``\\x1c`` are removed), messages are
parsed one at a time, and only compact per-patient tuples are kept; Cases are built as
``result.cases`` is iterated. ``options.progress`` is called with bytes read. Each line is
decoded as UTF-8; a message that is not valid UTF-8 is read in the single-byte character set
its MSH-18 names (``8859/2`` … ``8859/15``), else as Latin-1, with a warning either way.

Why a small parser of our own rather than a library. Both candidates were run on the samples
in ``tests/data/hl7v2`` (see the README there):

- ``hl7apy`` 1.3.5 parsed every well-formed sample (v2.3 and v2.5.1, Z-segments, short
  segments, NTE after OBX) but managed about 64 messages (~320 OBX) a second, so the
  million-OBX file of the benchmark would take most of an hour; it raises
  ``UnsupportedVersion`` when segments end in ``\\n``, and ``obx.obx_8`` silently gives only
  the first repetition of the flags.
- ``hl7`` (python-hl7) 0.4.5 was ~30 times faster but raised ``IndexError`` on 6 of the 9
  sample messages (any segment shorter than the field asked for: OBX without OBX-14, a v2.3
  PID), returns a field as ``str`` or as a list depending on its content (``obx[5][0][0]``
  is the first *character* of ``98``), and its last release is from 2022.

What we need is only the delimiter grammar of HL7 v2.5.1 chapter 2 (sections 2.5-2.7:
segments, fields, repetitions, components, escape sequences)
for a dozen fields, with our own rules for each field — which the research note recommends
anyway. That is a few dozen lines, has no dependency (the ``[hl7]`` extra is not needed), never
fails on short segments, reads the delimiters each MSH declares, and is fast enough to stream.

The package, in reading order: ``framing`` (segments and messages out of the bytes),
``encoding`` (the delimiters and field access), ``message`` (a message's structure checked),
``segments`` (PID, SPM and OBX read), ``fields`` (single fields: values, ranges, flags, status,
dates, comments), ``state`` (what one read keeps) and ``reader`` (:func:`read` and ``ADAPTER``).
"""

from __future__ import annotations

# the private field readers are re-exported for tests/adapters/test_hl7v2.py
from lowalp.adapters.hl7v2.encoding import _Enc as _Enc
from lowalp.adapters.hl7v2.fields import _date as _date
from lowalp.adapters.hl7v2.fields import _range as _range
from lowalp.adapters.hl7v2.fields import _value as _value
from lowalp.adapters.hl7v2.reader import ADAPTER, read

__all__ = ["ADAPTER", "name", "read"]

name = "hl7v2"
