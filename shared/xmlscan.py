"""A fast path for reading a few cells (or shared strings) out of a plain worksheet XML part.

Building an lxml tree of a whole 自评表 sheet costs several times more than everything else the
checker does with it. Excel, WPS, LibreOffice and openpyxl all write the same plain shape: UTF-8,
the main namespace as the default, `<c r="A1" ...>` elements with double-quoted attributes, no DTD,
comments or CDATA. For that shape the wanted cells are found with a byte scan. Anything else raises NotPlain and the caller
parses the part with lxml, so unusual or hostile files take the careful path. Tests hold the two
paths equal on every workbook the suite has.
"""
from __future__ import annotations

import functools
import re
import threading
from typing import AbstractSet

from lxml import etree

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_MAIN_NS = b'xmlns="' + _MAIN.encode() + b'"'
_ITEM_SPLIT = re.compile(rb"<si([\s/>])")
_PREFIXED_ITEM = re.compile(rb":si[\s/>]")
_ITEM_NOT_FOLLOWED = re.compile(rb"</si>(?!\s*<si[\s/>])")
_PREFIXED_TAG = re.compile(rb"</?[A-Za-z_][\w.\-]*:")
_ENCODING = re.compile(rb"""encoding=["']([^"']*)["']""")
_TYPE = re.compile(rb'\st="([^"]*)"')
_FORMULA = re.compile(rb"<f[\s/>]")
# Self-closing forms first: `<t xml:space="preserve"/>` must not be taken for an opening tag.
# No character class here runs past the next "<": a run of unclosed tags must cost one pass, not one
# pass per tag (60,000 `<c r="E10" ` in a row once took hours). Element bodies are cut out with find.
_VALUE = re.compile(rb"<v(?:\s[^<>]*)?/>|<v(?:\s[^<>]*)?>([^<]*)</v>")
_INLINE_START = re.compile(rb"<is(?:\s[^<>]*)?(/?)>")
_PHONETIC_START = re.compile(rb"<rPh(?:\s[^<>]*)?(/?)>")
_TEXT = re.compile(rb"<t(\s[^<>]*)?/>|<t(\s[^<>]*)?>([^<]*)</t>")


_UNSEEN = object()  # "not worked out yet": None is a real answer (no t attribute)


class NotPlain(Exception):
    """The part is not in the plain shape; read it with lxml."""


def plain_part(data: bytes, root_tag: bytes) -> None:
    """Raise NotPlain unless `data` is a complete plain UTF-8 part whose unprefixed root is root_tag."""
    head = data[:400]
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    if not head.startswith(b"<"):
        raise NotPlain
    declared = _ENCODING.search(head)
    if declared and declared.group(1).lower() not in (b"utf-8", b"utf8"):
        raise NotPlain
    root = head.find(b"<" + root_tag + b" ")
    if root < 0 or b"<!" in head[:root] or b"<" + root_tag + b" " + _MAIN_NS not in head:
        raise NotPlain  # a DTD, or the root not in the main namespace by default: lxml decides
    if not data.rstrip().endswith(b"</" + root_tag + b">"):
        raise NotPlain  # truncated: lxml says what is wrong
    # A comment, CDATA section or processing instruction (whose text may look like elements). "!" and "?"
    # are rare, so memchr finds them ~50x faster than a search for "<!".
    for mark in (b"!", b"?"):
        at = data.find(mark, root)
        for _ in range(16):
            if at < 0:
                break
            if data[at - 1] == 0x3C:  # "<"
                raise NotPlain
            at = data.find(mark, at + 1)
        else:  # many (a workbook.xml's names: 备案表!$B$3): the rest searched for the pair at once
            if at >= 0 and data.find(b"<" + mark, at - 1) >= 0:
                raise NotPlain


# What workbook_template_key reads around the stretch it keeps: nothing but tags and whitespace, with ASCII
# names (no element named sheet or definedName) and double-quoted values that can only be well-formed (no
# "<", "&" or control character other than tab and line ends; the text is checked separately to be UTF-8 and
# free of U+FFFE and U+FFFF, the two characters XML forbids above them). Each piece can be matched in one way
# only (whitespace, then tags each followed by whitespace; an attribute's whitespace before its name), so a
# part that does not fit fails in one pass instead of backtracking through every way of cutting its
# whitespace (that once took hours on 40 spaces). No possessive quantifiers: Python before 3.11.5 (Debian's
# is 3.11.2) mismatches some of them (gh-106052).
_KEY_NAME = rb"[A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?"  # \w of a bytes pattern: ASCII only
_KEY_SPACE = rb"[ \t\r\n]"
_KEY_VALUE = rb'"[^"<&\x00-\x08\x0b\x0c\x0e-\x1f]*"'
_KEY_TAG = (rb"</" + _KEY_NAME + _KEY_SPACE + rb"*>"
            rb"|<(?!(?:[A-Za-z_][\w.\-]*:)?(?:sheet|definedName)[\s/>])" + _KEY_NAME
            + rb"(?:" + _KEY_SPACE + rb"+" + _KEY_NAME + rb"=" + _KEY_VALUE + rb")*" + _KEY_SPACE + rb"*/?>")
_TAGS_ONLY = re.compile(_KEY_SPACE + rb"*(?:(?:" + _KEY_TAG + rb")" + _KEY_SPACE + rb"*)*")
_NONCHARACTERS = re.compile(b"\xef\xbf[\xbe\xbf]")  # U+FFFE and U+FFFF in UTF-8
_MARKUP_DECLARATION = re.compile(rb"<[!?]")  # a comment, CDATA section or instruction (one pass for both)
# Before the root, at most an XML declaration of UTF-8 spelled the one plain way (an encoding = "UTF-7" with
# spaces is still UTF-7 to a parser, whose "+...-" runs turn blanked values into markup).
_KEY_PROLOG = re.compile(rb'(?:\xef\xbb\xbf)?(?:<\?xml version="1\.[0-9]"(?: encoding="[Uu][Tt][Ff]-?8")?'
                         rb'(?: standalone="(?:yes|no)")?' + _KEY_SPACE + rb"*\?>)?" + _KEY_SPACE + rb"*")


def workbook_template_key(data: bytes) -> tuple[bool, bytes]:
    """workbook.xml as far as where its names point: a key under which what is worked out from it (which
    cells hold which names) can be remembered across workbooks filled from one template.

    Excel writes each user's window size and position, the folder the file was saved in and a document id
    into workbook.xml, so two units' workbook.xml differ though their names and sheets are the same. When
    the part is: at most a plain UTF-8 XML declaration, the root, then nothing but tags (as _TAGS_ONLY
    reads them) up to <sheets>, the stretch from <sheets> to </definedNames> with no comment, CDATA or
    processing instruction, then nothing but tags again; and all of it UTF-8; then the key is (True, the
    part with the values of the attributes outside that stretch blanked, namespace declarations kept).
    Two parts with one key are both well-formed or both not, and name the same cells. Any other part's
    key is (False, its bytes)."""
    own = (False, data)
    root = data.find(b"<workbook ")
    start = data.find(b"<sheets>", root)
    end = data.find(b"</definedNames>", start)
    if root < 0 or start < 0 or end < 0 or not _KEY_PROLOG.fullmatch(data, 0, root):
        return own
    if _MARKUP_DECLARATION.search(data, start, end):
        return own  # a comment, CDATA section or instruction opened there would run on into what is blanked
    middle = data[start:end]
    end += len(b"</definedNames>")
    head, tail = data[root:start], data[end:]
    for around in (head, tail):
        if not _TAGS_ONLY.fullmatch(around) or _NONCHARACTERS.search(around):
            return own
        try:
            around.decode("utf-8")
        except UnicodeDecodeError:
            return own
    return True, b"".join((data[:root], _values_blanked(head), b"\x00", middle, b"\x00", _values_blanked(tail)))


def _values_blanked(tags: bytes) -> bytes:
    """Tags as _TAGS_ONLY reads them with every attribute value emptied but those of namespace declarations
    and xml:* attributes. There a '"' only ever opens or closes a value, and each value's attribute name,
    with its "=", is the last whitespace-separated word before it: cut at the quotes, every other piece is
    a value, named by the end of the piece before it."""
    pieces = tags.split(b'"')
    for i in range(1, len(pieces), 2):
        name = pieces[i - 1].rsplit(None, 1)[-1]  # b'xmlns:r=', b'windowWidth='
        if name != b"xmlns=" and not name.startswith((b"xmlns:", b"xml:")):
            pieces[i] = b""
    return b'"'.join(pieces)


def xml_text(raw: bytes) -> str:
    """Element text as an XML parser gives it: UTF-8 decoded, entities and character references resolved.

    Raises NotPlain for what a parser would refuse (bad UTF-8, a reference to a forbidden character)."""
    return xml_texts([raw])[0]


def xml_texts(raws: list[bytes]) -> list[str]:
    """Many element texts at once, as xml_text gives each. They are decoded together, in one C call (joined
    by NUL, which no XML text holds), and only those with references (openpyxl writes every Chinese
    character as one, &#30410;) go on to libxml2, together, in one document: one C call for the lot,
    never a Python call per reference. Each raw is an element's text as written, holding no "<" (the
    scanners' patterns take no more): what it reads as is remembered by its bytes."""
    if not raws:
        return []
    try:
        joined = b"\x00".join(raws).decode("utf-8")
    except UnicodeDecodeError:
        raise NotPlain from None
    if "\r" in joined:  # line ends are normalised as a parser does
        joined = joined.replace("\r\n", "\n").replace("\r", "\n")
    texts = joined.split("\x00")
    if len(texts) != len(raws):
        raise NotPlain  # a NUL in the text: no parser takes it
    if "&" in joined:
        referring = []
        for i, text in enumerate(texts):
            if "&" in text:
                known = _KNOWN_TEXTS.get(raws[i])
                if known is None:
                    referring.append(i)
                else:
                    texts[i] = known
        if referring:
            document = b"<r><x>" + b"</x><x>".join(raws[i] for i in referring) + b"</x></r>"
            try:
                root = etree.fromstring(document, _parser())
            except etree.XMLSyntaxError:
                raise NotPlain from None  # a forbidden character, an unknown entity, bad UTF-8: lxml decides
            if len(root) != len(referring):
                raise NotPlain
            for i, element in zip(referring, root):
                texts[i] = element.text or ""
            _KNOWN_TEXTS.keep((raws[i], texts[i]) for i in referring)
    return texts


class _Known(dict):
    """Texts worked out before, by their bytes (a text depends on its bytes alone). Every unit fills the
    same template: its labels, instructions and usual answers are the same bytes in every workbook.
    Bounded: at most `entries` texts of at most `largest` bytes each."""

    def __init__(self, entries: int = 1024, largest: int = 4096):  # at most some 20 MB (4 KB key, 16 KB text)
        super().__init__()
        self.entries, self.largest = entries, largest

    def keep(self, pairs) -> None:
        fresh = {raw: text for raw, text in pairs if len(raw) <= self.largest}
        if len(fresh) > self.entries:
            return  # more than it may hold at once: a hostile part, not a template
        if len(self) + len(fresh) > self.entries:
            self.clear()
        self.update(fresh)


_KNOWN_TEXTS = _Known()  # element texts with references (openpyxl writes every Chinese character as one)


_PARSERS = threading.local()


def _parser() -> etree.XMLParser:
    parser = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = _PARSERS.parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                                                   huge_tree=False)
    return parser


def _item_runs(body: bytes) -> list[bytes]:
    """The raw <t> runs of a <si> or <is> body, phonetic (rPh) runs left out; joined once decoded.

    NotPlain when a <t> is not a plain run (an element inside it; a ">" inside an attribute value)."""
    if b"<rPh" in body:
        body = _without_phonetic(body)
    runs = []
    for attributes, closed_attributes, text in _TEXT.findall(body):
        if (attributes or closed_attributes).count(b'"') % 2:
            raise NotPlain
        runs.append(text)
    if len(runs) != body.count(b"<t"):  # no other tag of a string item starts "<t"
        raise NotPlain
    return runs


def element_text(item: etree._Element) -> str:
    """The text of a parsed <si> or <is>: its runs joined (Excel's _xHHHH_ escapes still in), phonetic
    (rPh) runs left out: what Excel shows."""
    parts = []
    for child in item:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        local = tag[tag.rfind("}") + 1:]
        if local == "t":
            parts.append(child.text or "")
        elif local == "r":
            for t in child:
                if isinstance(t.tag, str) and (t.tag == "t" or t.tag.endswith("}t")):
                    parts.append(t.text or "")
    return "".join(parts)


def _without_phonetic(body: bytes) -> bytes:
    """The body with its <rPh> elements cut out; NotPlain when one is not closed."""
    kept, at = [], 0
    for start in _PHONETIC_START.finditer(body):
        if start.start() < at:
            raise NotPlain  # an <rPh> inside an <rPh>
        kept.append(body[at:start.start()])
        if start.group(1):
            at = start.end()
            continue
        close = body.find(b"</rPh>", start.end())
        if close < 0:
            raise NotPlain
        at = close + len(b"</rPh>")
    kept.append(body[at:])
    return b"".join(kept)


def _inline_body(body: bytes) -> bytes | None:
    """The content of a cell body's <is> element ("" when self-closing), None when it has none."""
    start = _INLINE_START.search(body)
    if start is None:
        return None
    if start.group(1):
        return b""
    close = body.find(b"</is>", start.end())
    if close < 0:
        raise NotPlain
    return body[start.end():close]


@functools.lru_cache(maxsize=32)
def _cell_finders(refs: frozenset[str]) -> tuple[re.Pattern, re.Pattern]:
    """Patterns that match only the wanted cells, so the scan stays in C: (usual cells whole, any start tag).

    A usual cell is self-closing, or holds an optional formula and then a value or a one-run inline
    string. Groups: ref, attributes, "/", "<f", value, "<is>", inline text."""
    alternatives = _trie_pattern([r.encode("ascii") for r in refs if r.isascii() and r.isalnum()])
    start = rb'<c r="(' + alternatives + rb')"'
    # A usual cell's attributes (s, t, cm, vm) hold no "/", so they are taken greedily, without backtracking.
    usual = re.compile(start + rb"([^<>/]*)(?:(/)>|>(?:(<f)(?:\s[^<>]*)?(?:/>|>[^<]*</f>))?"
                               rb"(?:<v>([^<]*)</v>|<v/>|(<is>)<t(?: xml:space=\x22preserve\x22)?>([^<]*)</t></is>)?</c>)")
    return usual, re.compile(start + rb"([^<>]*?)(/?)>")


def _trie_pattern(words: list[bytes]) -> bytes:
    """An alternation of `words` factored by common prefix (F23|F24 -> F2[34]): the regex engine then
    tries a few branches per cell instead of every wanted ref."""
    trie: dict = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[None] = {}
    return _trie_branches(trie) if words else b"(?!)"


def _trie_branches(node: dict) -> bytes:
    children = sorted((char, child) for char, child in node.items() if char is not None)
    leaves = [char for char, child in children if list(child) == [None]]
    branches = [re.escape(bytes([char])) + _trie_branches(child) for char, child in children if char not in leaves]
    if len(leaves) == 1:
        branches.append(re.escape(bytes(leaves)))
    elif leaves:
        branches.append(b"[" + b"".join(re.escape(bytes([char])) for char in leaves) + b"]")
    if not branches:
        return b""
    body = branches[0] if len(branches) == 1 else b"(?:" + b"|".join(branches) + b")"
    return b"(?:" + body + b")?" if None in node else body


def scan_cells(data: bytes, refs: AbstractSet[str]) -> dict[str, tuple[str | None, str | None, bool, str | None]]:
    """ref -> (t attribute, <v> text, has formula, inline string text) for the wanted refs.

    Raises NotPlain when the part is not plain or a wanted cell is not found written as
    `<c r="REF"` (a writer that leaves out r, puts it later, or repeats a cell): then lxml reads
    every cell by position, so the two paths never mix in one part."""
    if not refs:
        return {}
    plain_part(data, b"worksheet")
    usual, any_start = _cell_finders(refs if isinstance(refs, frozenset) else frozenset(refs))
    # Cells live in <sheetData>; the columns, merges and validations around it need no scanning.
    start = max(data.find(b"<sheetData"), 0)
    end = data.find(b"</sheetData>", start)
    end = len(data) if end < 0 else end
    usual_cells = usual.findall(data, start, end)
    if len(usual_cells) == len(refs):  # every wanted cell in the usual shape (unless one is there twice)
        return _usual_decoded(usual_cells, len(refs))
    found: dict[str, tuple[str | None, str | None, bool, str | None]] = {}
    kinds: dict[bytes, object] = {}  # a sheet's cells share a few attribute strings (' s="5" t="s"')
    for ref, attrs, slash, formula, value, is_tag, inline in usual_cells:
        key = ref.decode("ascii")
        if key in found:
            raise NotPlain  # the same cell twice: let the careful path decide
        kind = kinds.get(attrs, _UNSEEN)
        if kind is _UNSEEN:
            kind = kinds[attrs] = _kind(attrs)
        found[key] = (kind, value or None, formula != b"", [inline] if is_tag else None)
    if len(found) < len(refs):
        _scan_unusual(data, any_start, found, start, end)
    if len(found) != len(refs):
        raise NotPlain
    return _decoded(found)


def _usual_decoded(cells: list[tuple[bytes, ...]], wanted: int) -> dict[str, tuple[str | None, str | None, bool, str | None]]:
    """What _decoded gives for cells all found by the usual pattern, in one pass: every cell's value and
    inline text (b"" when it has none) decoded in one xml_texts batch, two texts a cell."""
    raws: list[bytes] = []
    for cell in cells:
        raws += cell[4:7:2]  # the <v> text and the inline text
    texts = xml_texts(raws)
    kinds: dict[bytes, object] = {}  # a sheet's cells share a few attribute strings (' s="5" t="s"')
    out = {}
    for i, (ref, attrs, _, formula, value, is_tag, _) in enumerate(cells):
        kind = kinds.get(attrs, _UNSEEN)
        if kind is _UNSEEN:
            kind = kinds[attrs] = _kind(attrs)
        out[ref.decode("ascii")] = (kind, texts[2 * i] if value else None, formula != b"",
                                    texts[2 * i + 1] if is_tag else None)
    if len(out) != wanted:
        raise NotPlain  # the same cell twice: let the careful path decide
    return out


def _decoded(found: dict) -> dict[str, tuple[str | None, str | None, bool, str | None]]:
    """The cells with their raw value and inline runs decoded, all in one batch (xml_texts)."""
    raws: list[bytes] = []
    for _, value, _, runs in found.values():
        if value is not None:
            raws.append(value)
        if runs:
            raws.extend(runs)
    texts = iter(xml_texts(raws))
    out = {}
    for ref, (kind, value, formula, runs) in found.items():
        out[ref] = (kind, next(texts) if value is not None else None, formula,
                    None if runs is None else "".join(next(texts) for _ in runs))
    return out


def _kind(attrs: bytes) -> str | None:
    """The t attribute of a cell's start tag (after r)."""
    if b"'" in attrs or attrs.count(b'"') % 2:
        raise NotPlain  # single-quoted attributes, or a ">" inside a value cut the start tag short
    if b"t=" not in attrs:
        return None
    match = _TYPE.search(attrs)
    return match.group(1).decode("ascii") if match else None


def _scan_unusual(data: bytes, any_start: re.Pattern, found: dict, start: int, end: int) -> None:
    """The wanted cells the usual pattern left: rich text, phonetic runs, attributes on <v>."""
    for match in any_start.finditer(data, start, end):
        ref = match.group(1).decode("ascii")
        if ref in found:
            continue
        kind = _kind(match.group(2))
        if match.group(3):
            found[ref] = (kind, None, False, None)
            continue
        body = _body(data, match.end(), b"c")
        value = _VALUE.search(body)
        inline = _inline_body(body) if b"<is" in body else None
        found[ref] = (kind, (value.group(1) or b"") if value else None,
                      b"<f" in body and _FORMULA.search(body) is not None,
                      _item_runs(inline) if inline is not None else None)


def _body(data: bytes, start: int, tag: bytes) -> bytes:
    """The content of the element whose start tag ends at `start`, up to its closing tag; NotPlain
    when it is not closed, or holds another such element, a comment or CDATA, or prefixed tags."""
    close = data.find(b"</" + tag + b">", start)
    body = data[start:close]
    if close < 0 or b"<" + tag in body or b"<!" in body or _PREFIXED_TAG.search(body):
        raise NotPlain
    return body


def scan_strings(data: bytes, indexes: set[int]) -> dict[int, str]:
    """The shared strings at `indexes` (0-based) of a plain sharedStrings part. Raises NotPlain.

    A sheet refers to a few dozen of the part's hundreds of items: the part is cut at every item start in
    one C call, and only the wanted items are read. Every unit fills the same template, so most of them
    (labels, instructions, usual answers; LibreOffice saves many as rich text) are bytes met before; the
    others are parsed together by lxml, in one call, and read as the careful path reads them."""
    plain_part(data, b"sst")
    if _PREFIXED_ITEM.search(data):
        raise NotPlain  # a prefixed item would shift the count
    # [before the first item, what follows "<si" (">", "/" or a space), the rest up to the next item, ...]
    pieces = _ITEM_SPLIT.split(data)
    count = (len(pieces) - 1) // 2
    wanted = sorted(index for index in indexes if 0 <= index < count)
    if not wanted:
        return {}
    head = pieces[0]
    if head.find(b"<", head.find(b"<sst ") + 1) >= 0:
        raise NotPlain  # an element between the root and the first item: lxml decides
    if _ITEM_NOT_FOLLOWED.search(data, 0, len(data) - len(pieces[-1])):
        raise NotPlain  # an item not followed by the next: something holds items, and the count would shift
    bodies = []
    for index in wanted:
        follows, rest = pieces[2 * index + 1], pieces[2 * index + 2]
        if follows == b"/":
            if not rest.startswith(b">"):
                raise NotPlain
            bodies.append(b"")
            continue
        if follows != b">":
            raise NotPlain  # an item with attributes: none is defined, lxml decides
        close = rest.find(b"</si>")
        if close < 0:
            raise NotPlain  # not closed before the next item starts
        bodies.append(rest[:close])
    texts: dict[bytes, str] = {}
    for body in bodies:
        text = _KNOWN_ITEMS.get(body)
        if text is not None:
            texts[body] = text
    fresh = [body for body in dict.fromkeys(bodies) if body not in texts]
    if fresh:
        worked_out = dict(zip(fresh, _item_texts(fresh)))
        texts.update(worked_out)
        _KNOWN_ITEMS.keep(worked_out.items())
    return {index: texts[body] for index, body in zip(wanted, bodies)}


_KNOWN_ITEMS = _Known()  # shared-string items by their bytes
_SST_START = b"<sst " + _MAIN_NS + b">"


def _item_texts(bodies: list[bytes]) -> list[str]:
    """The texts of shared-string item bodies, parsed together in one lxml call and read as the careful
    path reads an item (element_text): what lxml refuses, or reads as other than one item per body, is
    NotPlain."""
    joined = b"</si><si>".join(bodies)
    # Every ":" is most often that of xml:space; only otherwise are the tags looked at for a prefix (one the
    # root declares would mean something else out of its part).
    if joined.count(b":") != joined.count(b" xml:space=") and _PREFIXED_TAG.search(joined):
        raise NotPlain
    try:
        root = etree.fromstring(_SST_START + b"<si>" + joined + b"</si></sst>", _parser())
    except etree.XMLSyntaxError:
        raise NotPlain from None
    items = list(root)
    if len(items) != len(bodies) or any(item.tag != _SI_TAG for item in items):
        raise NotPlain
    return [element_text(item) for item in items]


_SI_TAG = f"{{{_MAIN}}}si"
