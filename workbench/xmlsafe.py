"""Parsing untrusted XML (TBX, TMX, XLIFF) without the classic XML attacks.

Entity declarations are refused outright: they are what billion-laughs bombs and external-entity
(XXE) reads are made of, and no glossary or memory needs them. lxml then parses with entity
resolution, DTD loading and network access off, so line numbers are available for error messages.
"""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

from . import limits
from .errors import InputError


def parse(path: str | Path) -> etree._ElementTree:
    """Parse ``path`` safely; raise :class:`InputError` naming the file and line on any problem."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(path, f"cannot read the file ({exc.strerror})") from None
    cap = limits.LIMITS.xml_bytes
    if size > cap:
        raise InputError(path, f"file is {size / 2**20:.0f} MB, more than the {cap // 2**20} MB limit")
    if size == 0:
        raise InputError(path, "the file is empty")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )
    try:
        tree = etree.parse(str(path), parser)
    except etree.XMLSyntaxError as exc:
        raise InputError(path, _explain(exc), exc.lineno or None) from None
    except OSError as exc:  # lxml reports bytes invalid in the declared encoding this way
        message = str(exc).rsplit(": ", 1)[-1] or "cannot read the file"
        raise InputError(path, f"{message} (not valid in the file's declared encoding)") from None
    dtd = tree.docinfo.internalDTD
    if dtd is not None:
        for entity in dtd.iterentities():
            raise InputError(
                path,
                f"the DOCTYPE declares entity '{entity.name}'; entity declarations are refused "
                "(they are how XML bombs and external-entity reads work)",
                tree.getroot().sourceline,
            )
    return tree


def _explain(exc: etree.XMLSyntaxError) -> str:
    """lxml's message, said plainly where it is cryptic, with the column."""
    message = re.sub(r", line \d+, column \d+$", "", exc.msg or "not well-formed XML")
    if "xmlParseEntityRef: no name" in message:
        message = "an unescaped '&' (write &amp;)"
    elif "invalid Char value" in message:
        code = int(message.rsplit(" ", 1)[-1])
        message = f"character U+{code:04X} is not allowed in XML 1.0"
    column = exc.position[1] if exc.position else None
    return f"{message} (column {column})" if column else message


def local(tag: object) -> str:
    """The tag name without its namespace (TBX 2019 is namespaced, TBX 2008 is not)."""
    return etree.QName(tag).localname if isinstance(tag, str) else ""
