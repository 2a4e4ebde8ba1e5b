"""Text encodings of Chinese attribute data: .cpg files, .dbf detection, mojibake checks.

Shapefiles from Chinese GIS software usually carry GBK (code page 936)
attributes, often without a ``.cpg`` file; read as Latin-1 they turn into
mojibake such as ``ÇåË®ÌÁ``.  The rules: a ``.cpg`` is honoured; without one
the raw bytes of the text fields decide — valid UTF-8 is UTF-8, otherwise
GB18030 (a superset of GBK/GB2312) when it decodes cleanly; anything else is
refused rather than stored garbled.  Pure functions, no I/O beyond reading
the given file.
"""
from __future__ import annotations

import codecs
import logging
import re
import struct
from dataclasses import dataclass
from pathlib import Path

LOGGER = logging.getLogger(__name__)

# .cpg contents and DBF language-driver ids (byte 29) seen in practice → Python codec.
_CPG_ALIASES = {
    "936": "gb18030", "cp936": "gb18030", "gbk": "gb18030", "gb2312": "gb18030", "gb18030": "gb18030",
    "ansi 936": "gb18030", "utf-8": "utf-8", "utf8": "utf-8", "65001": "utf-8",
    "1252": "cp1252", "ansi 1252": "cp1252", "88591": "latin-1", "8859-1": "latin-1", "iso-8859-1": "latin-1",
    "iso88591": "latin-1", "950": "big5", "big5": "big5", "437": "cp437",
}
_LDID = {0x4D: "gb18030", 0x7A: "gb18030", 0x57: "cp1252", 0x03: "cp1252", 0x78: "big5"}
ENCODING_CHOICES = ("utf-8", "gb18030", "big5", "latin-1")
# Characters typical of UTF-8 or GBK bytes misread as Latin-1/cp1252.
_MOJIBAKE = re.compile(r"[ÃÂÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞßàáâãäåæçèéêëìíîïðñòóôõö÷øùúûüýþÿ]{2,}")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class EncodingGuess:
    """The encoding chosen for a text source, why, and decoded samples for the user to confirm."""

    encoding: str
    source: str  # cpg | ldid | detected | default | user
    samples: tuple[str, ...] = ()


def codec_name(label: str | None) -> str | None:
    """Return the Python codec for a .cpg or user label, or None when unknown."""
    if not label:
        return None
    text = label.strip().lower().replace("_", "-")
    alias = _CPG_ALIASES.get(text) or _CPG_ALIASES.get(text.replace("-", ""))
    if alias:
        return alias
    try:
        return codecs.lookup(text).name
    except LookupError:
        return None


def read_cpg(path: Path) -> str | None:
    """Return the codec named by a ``.cpg`` file, or None when absent or unknown."""
    if not path.exists():
        return None
    return codec_name(path.read_bytes()[:64].decode("ascii", "ignore"))


def dbf_text_bytes(path: Path, max_records: int = 2000) -> tuple[list[bytes], int]:
    """Return the non-blank raw values of the text fields (and field names) of a .dbf, and its LDID byte."""
    data = path.read_bytes()
    if len(data) < 32:
        return [], 0
    records, header_len, record_len = struct.unpack("<IHH", data[4:12])
    ldid = data[29]
    fields, pos, offset = [], 32, 1
    while pos + 32 <= header_len and pos + 32 <= len(data) and data[pos] != 0x0D:
        desc = data[pos:pos + 32]
        name, ftype, flen = desc[:11].split(b"\x00")[0], chr(desc[11]), desc[16]
        fields.append((name, ftype, offset, flen))
        offset += flen
        pos += 32
    values = [name for name, *_ in fields if any(b > 0x7F for b in name)]
    for i in range(min(records, max_records)):
        start = header_len + i * record_len
        record = data[start:start + record_len]
        if len(record) < record_len:
            break
        for _name, ftype, off, flen in fields:
            if ftype in "CM":
                raw = record[off:off + flen].rstrip(b" \x00")
                if raw and any(b > 0x7F for b in raw):
                    values.append(raw)
    return values, ldid


def _decodes(values: list[bytes], codec: str) -> bool:
    try:
        for v in values:
            v.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def detect(values: list[bytes]) -> str | None:
    """Return 'utf-8' or 'gb18030' when every value decodes cleanly (UTF-8 first), else None."""
    if not values or _decodes(values, "utf-8"):
        return "utf-8"
    if _decodes(values, "gb18030"):
        decoded = [v.decode("gb18030") for v in values]
        if any(_CJK.search(s) for s in decoded):
            return "gb18030"
    return None


def guess_dbf(dbf: Path, cpg: Path | None = None, chosen: str | None = None) -> EncodingGuess:
    """Choose the encoding of a .dbf: the user's choice, then .cpg, then detection, then the LDID byte."""
    values, ldid = dbf_text_bytes(dbf) if dbf.exists() else ([], 0)
    if chosen:
        encoding, source = chosen, "user"
    elif cpg is not None and read_cpg(cpg):
        encoding, source = read_cpg(cpg), "cpg"
    else:
        detected = detect(values)
        if detected is not None:
            encoding, source = detected, "detected"
        elif _LDID.get(ldid):
            encoding, source = _LDID[ldid], "ldid"
        else:
            encoding, source = "utf-8", "default"
    samples = tuple(dict.fromkeys(v.decode(encoding, "replace") for v in values))[:8]
    return EncodingGuess(encoding, source, samples)


def decode_text(raw: bytes) -> tuple[str, str]:
    """Decode a text file (CSV): BOM, then UTF-8, then GB18030; return (text, encoding)."""
    if raw.startswith(codecs.BOM_UTF8):
        return raw[3:].decode("utf-8"), "utf-8"
    for codec in ("utf-8", "gb18030"):
        try:
            return raw.decode(codec), codec
        except UnicodeDecodeError:
            continue
    raise UnicodeDecodeError("gb18030", raw[:1], 0, 1, "neither UTF-8 nor GB18030")


def is_mojibake(text: str) -> bool:
    """Tell whether ``text`` looks garbled (replacement characters or Latin-1-read CJK bytes)."""
    return "\ufffd" in text or bool(_MOJIBAKE.search(text))


def chinese_samples(values, limit: int = 8) -> list[str]:
    """Return up to ``limit`` distinct strings containing Chinese characters."""
    found: list[str] = []
    for value in values:
        if isinstance(value, str) and _CJK.search(value) and value not in found:
            found.append(value[:80])
            if len(found) >= limit:
                break
    return found
