"""Reading a submission file into a grid of cells, exactly as the clerk sees the sheet.

Row i of the grid (0-based) is spreadsheet row i+1, so `source_row` is the 1-based row
number the clerk sees, title and header rows included. A workbook is read a worksheet at a
time, visible ones first: which one holds the data is for its header to say (normalise).

Every file is hostile until read: the content decides the format (an HTML page saved as
.xls is named as such), the size of the grid is bounded while it is read, and workbooks
are opened by calamine in a child process with a memory and time limit, because calamine
is native code that a crafted workbook can make abort the whole process (a sheet with cells
at A1 and XFD1048576, a sharedStrings or DIMENSIONS record announcing billions of entries).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import io
import itertools
import json
import re
import struct
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Callable, Iterator

from ingest.config import settings
from ingest.intake.errors import SubmissionError

# Beyond this ratio of uncompressed to compressed size an xlsx is treated as a zip bomb.
MAX_XLSX_EXPANSION = 200
MAX_XLSX_UNCOMPRESSED = 500 * 1024 * 1024
# Grid limits besides SWDW_MAX_ROWS: the widest contract has 13 columns, and 10 million
# cells is 500,000 rows of 20 (calamine allocates a sheet's whole rectangle at once).
MAX_COLUMNS = 1_000
MAX_CELLS = 10_000_000
# A JSON submission is an array of flat records (depth 2); a little structure inside a value is kept as text.
MAX_JSON_DEPTH = 32
# The child process that runs calamine: memory (address space) and wall-clock limits.
EXCEL_MEMORY_BYTES = 2 * 1024**3  # a 10-million-cell sheet needs about 1 GiB
EXCEL_SECONDS = 300

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
CFB_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")  # OLE compound file: legacy .xls, or an encrypted .xlsx
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")  # the stream Office encrypts an xlsx into
TEXT_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),  # Excel's "Unicode text" export
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _unreadable_encoding() -> SubmissionError:
    return SubmissionError(
        "unreadable_encoding",
        "文件编码无法识别（应为 UTF-8、GBK/GB18030，或带 BOM 的 UTF-16）",
        "the file is neither UTF-8, GBK/GB18030 nor UTF-16 with a byte-order mark",
    )


def decode_text(data: bytes) -> str:
    """UTF-16/32 when a byte-order mark says so; else UTF-8 (with or without BOM), then GB18030, a superset of GBK."""
    for bom, encoding in TEXT_BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                raise _unreadable_encoding() from None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _unreadable_encoding()


# --- grids -----------------------------------------------------------------------------------


class Grid(list):
    """The rows of one sheet (a list of rows); a workbook's knows the sheet's name and the sheets after it.

    ``sheet`` is the sheet's name when the workbook has more than one worksheet (findings name it
    then), else None. ``sheets()`` yields this sheet, then each later one, read only when asked for:
    the data sit on the first sheet whose header matches the contract (normalise), so a cover sheet
    or 填表说明 before them costs one more read, and a workbook with its data first costs nothing more.
    """

    def __init__(self, rows=(), sheet: str | None = None, later: Callable[[], Iterator[Grid]] | None = None):
        super().__init__(rows)
        self.sheet = sheet
        self._later = later

    def sheets(self) -> Iterator[Grid]:
        yield self
        if self._later is not None:
            yield from self._later()


# --- grid limits ----------------------------------------------------------------------------


class _Shape:
    """Counts a grid as it is read and stops at the first limit, before the rest is in memory."""

    def __init__(self):
        self.max_rows = settings().max_rows
        self.rows = self.cells = 0

    def add(self, row: list) -> None:
        self.rows += 1
        self.cells += len(row)
        # a row within every limit by its full length is within them by its used width too: the
        # trailing-empty count is taken only for a row that may be too wide (once per row of a file)
        if self.rows > self.max_rows or len(row) > MAX_COLUMNS or self.cells > MAX_CELLS:
            self.check(self.rows, _used_width(row), self.cells)

    def check(self, rows: int, width: int, cells: int) -> None:
        if rows > self.max_rows:
            raise SubmissionError(
                "too_many_rows",
                f"行数过多（{rows} 行以上，上限 {self.max_rows}）",
                f"{rows} rows or more, above the {self.max_rows} limit",
            )
        if width > MAX_COLUMNS:
            raise SubmissionError(
                "too_many_columns",
                f"列数过多（{width} 列，上限 {MAX_COLUMNS}）",
                f"{width} columns, above the {MAX_COLUMNS} limit",
            )
        if cells > MAX_CELLS:
            raise SubmissionError(
                "too_many_cells",
                f"表格过大（{cells} 个单元格以上，上限 {MAX_CELLS}）",
                f"{cells} cells or more, above the {MAX_CELLS} limit",
            )


def _used_width(row: list) -> int:
    """Columns up to the last non-empty cell: trailing empty cells an export pads with do not count."""
    width = len(row)
    while width and row[width - 1] in ("", None):
        width -= 1
    return width


# --- text formats -----------------------------------------------------------------------------


def _delimiter(text: str) -> str:
    """Tab for Excel's "Unicode text" export saved as .csv (tabs and no commas in the first lines), else comma."""
    head = text[:65536].splitlines()[:8]
    return "\t" if any("\t" in line for line in head) and not any("," in line for line in head) else ","


def _read_csv(data: bytes) -> list[list]:
    if data.startswith(ZIP_MAGIC) or data.startswith(CFB_MAGIC):
        raise _format_mismatch(".csv", "workbook")
    text = decode_text(data)
    # no field can be longer than the file (itself bounded by SWDW_MAX_FILE_BYTES); the default
    # 128 KiB would abort on one long cell, which the normaliser reports as a finding instead
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    shape, grid = _Shape(), []
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text)):
            shape.add(row)
            grid.append(row)
    except csv.Error as exc:
        raise SubmissionError(
            "invalid_csv", f"CSV 格式错误：第 {len(grid) + 1} 行", f"invalid CSV at row {len(grid) + 1}: {exc}"
        ) from None
    return grid


_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_JSON_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_JSON_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def _json_depth(text: str) -> int:
    """Nesting depth, counted on the brackets outside strings: json.loads would recurse once per level."""
    brackets = _JSON_NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    return max(itertools.accumulate(map(_JSON_DEPTH_STEP.__getitem__, brackets)), default=0)


def _json_int(digits: str):
    # a count of 1 followed by 5,000 zeros stays text: int() refuses it, and the normaliser reports it
    return int(digits) if len(digits) <= 20 else digits


def _read_json(data: bytes) -> list[list]:
    text = decode_text(data)
    depth = _json_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise SubmissionError(
            "json_too_deep",
            f"JSON 嵌套层数过多（{depth} 层，上限 {MAX_JSON_DEPTH}），应为记录数组",
            f"JSON nested {depth} levels deep, above the {MAX_JSON_DEPTH} limit: it must be an array of records",
        )
    try:
        records = json.loads(text, parse_int=_json_int)
    except json.JSONDecodeError as exc:
        raise SubmissionError(
            "invalid_json", f"JSON 格式错误：第 {exc.lineno} 行", f"invalid JSON at line {exc.lineno}"
        ) from None
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise SubmissionError("invalid_json", "JSON 文件应为记录数组", "JSON must be an array of records")
    shape = _Shape()
    headers: dict[str, None] = {}  # ordered set: first appearance decides the column order
    for record in records:
        headers.update(dict.fromkeys(record))
    shape.check(len(records) + 1, len(headers), (len(records) + 1) * len(headers))
    return [list(headers)] + [[record.get(h, "") for h in headers] for record in records]


# --- workbooks --------------------------------------------------------------------------------


def _sniff(data: bytes) -> str:
    """What the bytes are, whatever the file is called: zip, cfb, html, xml, text or binary."""
    if data.startswith(ZIP_MAGIC):
        return "zip"
    if data.startswith(CFB_MAGIC):
        return "cfb"
    head = data[:4096]
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8"), *TEXT_BOMS):
        if head.startswith(bom):
            head = head.decode(encoding, errors="ignore").encode("utf-8")
            break
    if b"\x00" in head:
        return "binary"
    start = head.lstrip().lower()
    if start.startswith(b"<"):
        # SpreadsheetML 2003 has a <Table> too: only a page's own tags, or a bare table, make it HTML
        html = re.search(rb"<(!doctype html|html|head|body|meta)\b", start) or start.startswith(b"<table")
        return "html" if html else "xml"
    # the sample may end inside a character of up to 4 bytes: that is not a reason to call it binary
    for cut in range(4):
        try:
            decode_text(data[: 4096 - cut])
            return "text"
        except SubmissionError:
            continue
    return "binary"


FORMAT_NAMES = {
    "html": ("网页（HTML）", "an HTML page"),
    "xml": ("XML（如“XML 电子表格 2003”）", "XML (such as an Excel 2003 XML spreadsheet)"),
    "text": ("纯文本（如 CSV）", "plain text (such as CSV)"),
    "workbook": ("Excel 工作簿", "an Excel workbook"),
}


def _format_mismatch(suffix: str, kind: str) -> SubmissionError:
    zh, en = FORMAT_NAMES[kind]
    save_as = ".xlsx" if kind != "text" else ".csv 或 .xlsx"
    return SubmissionError(
        "format_mismatch",
        f"文件扩展名为 {suffix}，但内容是{zh}：请用 Excel 打开后另存为 {save_as} 再报送",
        f"the {suffix} file is {en}, not what its name says: open it in Excel and save it as {save_as.replace(' 或 ', ' or ')}",
    )


def _unreadable(detail: str) -> SubmissionError:
    return SubmissionError(
        "unreadable_file",
        "Excel 文件已损坏或不完整（可能未上传完整），无法读取",
        f"the workbook is damaged or incomplete: {detail}",
    )


def _encrypted() -> SubmissionError:
    return SubmissionError(
        "encrypted_workbook",
        "Excel 文件设置了打开密码（已加密），请取消密码后重新报送",
        "the workbook is password-protected (encrypted): remove the password and submit it again",
    )


def _bomb(size: int) -> SubmissionError:
    return SubmissionError(
        "decompression_bomb",
        "Excel 文件解压后过大，疑似异常文件",
        f"xlsx expands to {size} bytes or more: refused as a decompression bomb",
    )


_XML_DECLARATIONS = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
_SST_COUNT = re.compile(rb"""<(?:\w+:)?sst\b[^>]*?\s(?:uniqueCount|count)\s*=\s*["'](\d+)""")


def _check_xlsx(data: bytes) -> None:
    """The zip before calamine sees it: declared sizes, actual sizes while inflating, no DTDs, sane counts."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            declared = sum(info.file_size for info in infos)
            if declared > MAX_XLSX_UNCOMPRESSED or declared > MAX_XLSX_EXPANSION * max(len(data), 1):
                raise _bomb(declared)
            inflated = 0
            for info in infos:
                if info.flag_bits & 0x1:
                    raise _encrypted()
                # zipfile stops at the declared size and checks the CRC: a member that inflates past
                # what its header claims is refused here, having cost at most what was declared
                with archive.open(info) as member:
                    head = member.read(65536)
                    inflated += len(head)
                    while chunk := member.read(1 << 20):
                        inflated += len(chunk)
                        if inflated > MAX_XLSX_UNCOMPRESSED:
                            raise _bomb(inflated)
                if _XML_DECLARATIONS.search(head):
                    # Office never writes a DTD; entity declarations are a billion-laughs or XXE attempt
                    raise SubmissionError(
                        "xml_entities",
                        "Excel 文件中含有 XML 实体声明（DTD），疑似异常文件",
                        f"{info.filename} declares XML entities (DTD): refused",
                    )
                if count := _SST_COUNT.search(head):
                    # calamine reserves memory for the announced count of shared strings before reading one
                    _Shape().check(0, 0, int(count[1]))
    except SubmissionError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError, RuntimeError) as exc:
        # damaged, cut short, an unknown compression method, or a member zipfile cannot open
        raise _unreadable(str(exc)) from None


_CALAMINE_CHILD = """
import datetime as dt, gc, io, json, os, resource, sys
gc.disable()  # a short life making a million cells: collections would only walk them
memory, max_rows, max_columns, max_cells, position = map(int, sys.argv[1:])
_, hard = resource.getrlimit(resource.RLIMIT_AS)
if hard != resource.RLIM_INFINITY:
    memory = min(memory, hard)  # a limit set on the whole run may only be lowered here
resource.setrlimit(resource.RLIMIT_AS, (memory, hard))


class NoPandas:  # pyarrow imports pandas (a second) on its first conversion, to look for its types
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.partition(".")[0] == "pandas":
            raise ModuleNotFoundError(name)


sys.meta_path.insert(0, NoPandas)
import numpy as np
import pyarrow as pa
from python_calamine import CalamineWorkbook, PasswordError, SheetTypeEnum, SheetVisibleEnum

TIMEDELTA = pa.struct([("days", pa.int32()), ("seconds", pa.int32()), ("microseconds", pa.int32())])
ARROW = {str: pa.string(), float: pa.float64(), int: pa.int64(), bool: pa.bool_(), dt.datetime: pa.timestamp("us"),
         dt.date: pa.date32(), dt.time: pa.time64("us"), dt.timedelta: TIMEDELTA, type(None): pa.null()}
KINDS = list(ARROW)
CODE = {kind: code for code, kind in enumerate(KINDS)}


def values(kind, cells):
    if kind is dt.timedelta:
        return pa.array([None if c is None else (c.days, c.seconds, c.microseconds) for c in cells], TIMEDELTA)
    if any(getattr(c, "tzinfo", None) is not None for c in cells) if kind in (dt.datetime, dt.time) else False:
        raise ValueError("a cell with a time zone")
    array = pa.array(cells, ARROW[kind])
    if kind is str:  # a column of a few hundred distinct texts crosses as those and an index per cell
        encoded = array.dictionary_encode()
        if 2 * len(encoded.dictionary) <= len(array):
            return encoded
    return array


def column(cells):
    # one type (besides empty cells): a plain array; else a dense union, one child per type
    kinds = set(map(type, cells))
    kinds.discard(type(None))
    if len(kinds) <= 1:
        return values(kinds.pop() if kinds else type(None), cells)
    n = len(cells)
    codes = np.fromiter(map(CODE.__getitem__, map(type, cells)), np.int8, n)
    objects = np.empty(n, object)
    objects[:] = cells
    offsets = np.empty(n, np.int32)
    present = np.flatnonzero(np.bincount(codes, minlength=len(KINDS)))
    children = []
    for code in present:
        where = np.flatnonzero(codes == code)
        offsets[where] = np.arange(len(where), dtype=np.int32)
        children.append(values(KINDS[code], objects[where].tolist()))
    return pa.UnionArray.from_dense(pa.array(codes), pa.array(offsets), children, type_codes=present.tolist())


arrays = []
data = sys.stdin.buffer.read()
try:
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    # the worksheets as the clerk meets them: the visible ones in order, then the hidden ones
    worksheets = [m for m in workbook.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]
    names = [m.name for m in sorted(worksheets, key=lambda m: m.visible != SheetVisibleEnum.Visible)]
    sheet = workbook.get_sheet_by_name(names[position]) if names else workbook.get_sheet_by_index(0)
    rows, columns = (sheet.end[0] + 1, sheet.end[1] + 1) if sheet.end else (0, 0)
    if rows > max_rows or columns > max_columns or rows * columns > max_cells:
        result = {"kind": "shape", "rows": rows, "columns": columns}
    else:
        grid = sheet.to_python(skip_empty_area=False)
        if len({len(row) for row in grid}) > 1:
            raise ValueError("rows of different lengths")
        merged = [[list(corner) for corner in area] for area in sheet.merged_cell_ranges or []]
        result = {"kind": "grid", "rows": len(grid), "merged": merged, "names": names}
        arrays = [column(cells) for cells in zip(*grid)]
except PasswordError as exc:
    result = {"kind": "password", "detail": str(exc)}
except BaseException as exc:
    result = {"kind": "error", "detail": f"{type(exc).__name__}: {exc}"[:500]}
    arrays = []
fields = [pa.field(str(n), array.type) for n, array in enumerate(arrays)]
batch = pa.RecordBatch.from_arrays(arrays, schema=pa.schema(fields, metadata={"swdw": json.dumps(result)}))
with pa.ipc.new_stream(sys.stdout.buffer, batch.schema) as stream:
    stream.write_batch(batch)
sys.stdout.flush()
os._exit(0)  # the grid's million objects need no freeing one by one
"""


def _calamine(
    data: bytes, position: int, check: Callable[[bytes], None] | None = None
) -> tuple[list[list], list, list[str]]:
    """One worksheet (by its place in the reading order), its merged ranges and the worksheets' names
    in that order, read by calamine in a child process with limits.

    ``check`` (the workbook's checks before calamine sees it) runs while the child starts: the child
    has its libraries loaded when the bytes come, and gets none if the check refuses them.
    """
    shape = _Shape()
    limits = (EXCEL_MEMORY_BYTES, shape.max_rows, MAX_COLUMNS, MAX_CELLS, position)
    child = subprocess.Popen(
        [sys.executable, "-I", "-c", _CALAMINE_CHILD, *map(str, limits)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    with child:
        try:
            if check is not None:
                check(data)
            output, _ = child.communicate(data, timeout=EXCEL_SECONDS)
        except subprocess.TimeoutExpired:
            output = None
        finally:
            if child.returncode is None:  # refused by the check, out of time, or interrupted
                child.kill()
                child.communicate()
    if output is None or child.returncode != 0:
        how = f"exit status {child.returncode}" if output is not None else f"more than {EXCEL_SECONDS} s"
        raise SubmissionError(
            "workbook_too_large",
            "读取 Excel 文件超出内存或时间上限（工作表范围过大或文件异常）",
            f"reading the workbook exceeded {EXCEL_MEMORY_BYTES // 1024**3} GiB or {EXCEL_SECONDS} s ({how})",
        )
    result, grid = child_output(output, shape)
    kind = result.get("kind")
    if kind == "shape":
        rows, columns = result.get("rows"), result.get("columns")
        if isinstance(rows, int) and isinstance(columns, int):
            shape.check(rows, columns, rows * columns)  # the child's test was the same: this raises
    if kind == "password":
        raise _encrypted()
    if kind != "grid":
        raise _unreadable(str(result.get("detail"))[:500] if kind == "error" else "the reader gave no sheet")
    return grid, result["merged"], result["names"]


# --- the reader child's output: Arrow IPC, checked before a cell is taken ---------------------


def child_output(output: bytes, shape: _Shape) -> tuple[dict, list[list]]:
    """What the calamine child wrote (an Arrow IPC stream of one record batch: its outcome as JSON
    in the schema's metadata, a grid column per field), as (outcome, rows).

    The child parsed hostile bytes, so its output is checked like a file: the stream's framing and
    every buffer (pyarrow's full validation, no compressed buffer), the outcome's fields and types,
    the grid's size against the limits, and each column's types against the cells a worksheet holds.
    Anything else is an unreadable file.
    """
    try:
        return _child_output(output, shape)
    except SubmissionError:
        raise
    except Exception as exc:
        raise _unreadable(f"reader output: {type(exc).__name__}: {exc}"[:500]) from None


def _child_output(output: bytes, shape: _Shape) -> tuple[dict, list[list]]:
    import numpy as np
    import pyarrow as pa

    _uncompressed(pa, output)
    reader = pa.ipc.open_stream(output)
    batch = reader.read_next_batch()
    with contextlib.suppress(StopIteration):
        reader.read_next_batch()
        raise ValueError("more than one record batch")
    result = json.loads((batch.schema.metadata or {})[b"swdw"])
    if not isinstance(result, dict):
        raise ValueError("no outcome")
    if result.get("kind") != "grid":
        return result, []
    rows, merged, names = result.get("rows"), result.get("merged"), result.get("names")
    if not (
        isinstance(rows, int)
        and rows >= 0
        and isinstance(names, list)
        and all(isinstance(name, str) for name in names)
        and isinstance(merged, list)
        and all(_is_area(area) for area in merged)
    ):
        raise ValueError("malformed outcome")
    if batch.num_columns and batch.num_rows != rows:
        raise ValueError(f"{batch.num_rows} rows where the outcome says {rows}")
    shape.check(rows, batch.num_columns, rows * batch.num_columns)
    batch.validate(full=True)
    columns = [_cells(pa, np, column) for column in batch.columns]
    return result, list(map(list, zip(*columns))) if columns else [[] for _ in range(rows)]


def _is_area(area) -> bool:
    return (
        isinstance(area, list)
        and len(area) == 2
        and all(
            isinstance(corner, list) and len(corner) == 2 and all(type(n) is int and n >= 0 for n in corner)
            for corner in area
        )
    )


def _uncompressed(pa, output: bytes) -> None:
    """Every message of the stream carries its buffers as they are: a compressed body could expand
    to any size in the parent before a limit is checked (the child never compresses)."""
    reader = pa.ipc.MessageReader.open_stream(output)
    for message in reader:
        if message.type in ("record batch", "dictionary") and _compression(message.metadata.to_pybytes(), message.type):
            raise ValueError("a compressed record batch")


def _flat_field(buf: bytes, table: int, index: int) -> int:
    """A flatbuffer table's field: its position in ``buf``, or 0 when absent."""
    vtable = table - struct.unpack_from("<i", buf, table)[0]
    size = struct.unpack_from("<H", buf, vtable)[0]
    offset = struct.unpack_from("<H", buf, vtable + 4 + 2 * index)[0] if 4 + 2 * index < size else 0
    return table + offset if offset else 0


def _compression(metadata: bytes, kind: str) -> bool:
    """Whether an IPC message's RecordBatch (Message.header, field 2; in a DictionaryBatch, its field 1)
    has a BodyCompression (RecordBatch field 3): Arrow's Message.fbs and Schema.fbs."""
    message = struct.unpack_from("<I", metadata, 0)[0]
    header = _flat_field(metadata, message, 2)
    if not header:
        raise ValueError("a message without a header")
    batch = header + struct.unpack_from("<I", metadata, header)[0]
    if kind == "dictionary":
        data = _flat_field(metadata, batch, 1)
        if not data:
            raise ValueError("a dictionary without data")
        batch = data + struct.unpack_from("<I", metadata, data)[0]
    return bool(_flat_field(metadata, batch, 3))


def _timedelta(cell: dict | None) -> dt.timedelta | None:
    """A duration as the child sent it: a struct of timedelta's own fields (days, seconds, microseconds)."""
    return None if cell is None else dt.timedelta(**cell)


def _plain(pa, array) -> list:
    """The cells of a column of one type: each Arrow type back to the Python type the child sent."""
    kind = array.type
    if pa.types.is_dictionary(kind):
        if kind.value_type != pa.string() or not pa.types.is_integer(kind.index_type):
            raise ValueError(f"a column of {kind}")
        texts = [*array.dictionary.to_pylist(), None]
        indices = array.indices.fill_null(len(texts) - 1)
        return list(map(texts.__getitem__, indices.to_numpy(zero_copy_only=False).tolist()))
    if kind == pa.null():
        return [None] * len(array)
    if pa.types.is_struct(kind):
        return list(map(_timedelta, array.to_pylist()))
    if kind not in _cell_types(pa):
        raise ValueError(f"a column of {kind}")
    return array.to_pylist()


def _cells(pa, np, array) -> list:
    """A grid column: a plain array, or a dense union whose children are plain arrays of different types."""
    if not isinstance(array, pa.UnionArray):
        return _plain(pa, array)
    if array.type.mode != "dense":
        raise ValueError("a sparse union")
    codes = array.type_codes.to_numpy()
    offsets = array.offsets.to_numpy()
    cells = np.empty(len(array), object)
    covered = 0
    for index, code in enumerate(array.type.type_codes):
        child = _plain(pa, array.field(index))
        values = np.empty(len(child), object)
        values[:] = child
        where = codes == code
        covered += int(where.sum())
        cells[where] = values[offsets[where]]
    if covered != len(array):
        raise ValueError("a type code without a child")
    return cells.tolist()


def _cell_types(pa) -> tuple:
    """The Arrow types of the child's plain columns besides text, durations and empty cells."""
    return (pa.string(), pa.float64(), pa.int64(), pa.bool_(), pa.timestamp("us"), pa.date32(), pa.time64("us"))


def _fill_merged(grid: list[list], merged: list) -> None:
    """A merged cell's value lives in its top-left cell: copy it across the merged cells."""
    width = max(map(len, grid), default=0)
    area = 0
    for (top, left), (bottom, right) in merged:
        area += max(0, min(bottom, len(grid) - 1) - top + 1) * max(0, min(right, width - 1) - left + 1)
    if area > MAX_CELLS:  # merges do not overlap in a workbook Excel wrote
        raise _unreadable(f"merged ranges cover {area} cells")
    for (top, left), (bottom, right) in merged:
        if top >= len(grid) or left >= len(grid[top]):
            continue
        value = grid[top][left]
        for row in range(top, min(bottom, len(grid) - 1) + 1):
            cells = grid[row]
            for col in range(left, min(right, len(cells) - 1) + 1):
                if cells[col] in ("", None):
                    cells[col] = value


def _sheet(data: bytes, position: int, check: Callable[[bytes], None] | None = None) -> Grid:
    """The worksheet at ``position`` in the reading order; the first one offers the later ones, read on demand."""
    rows, merged, names = _calamine(data, position, check)
    _fill_merged(rows, merged)
    name = names[position] if len(names) > 1 else None
    if position or len(names) < 2:
        return Grid(rows, name)
    return Grid(rows, name, lambda: (_sheet(data, later) for later in range(1, len(names))))


def _check_cfb(data: bytes) -> None:
    if ENCRYPTED_PACKAGE in data:
        raise _encrypted()


def _read_excel(data: bytes, suffix: str) -> Grid:
    kind = _sniff(data)
    if kind in ("html", "xml", "text"):
        raise _format_mismatch(suffix, kind)
    if kind not in ("zip", "cfb"):
        raise _unreadable("neither an xlsx (zip) nor an xls (OLE) file")
    return _sheet(data, 0, _check_xlsx if kind == "zip" else _check_cfb)


def read_grid(data: bytes, file_name: str) -> list[list]:
    suffix = "." + file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    if suffix == ".csv":
        return _read_csv(data)
    if suffix == ".json":
        return _read_json(data)
    if suffix in (".xlsx", ".xls"):
        return _read_excel(data, suffix)
    raise SubmissionError(
        "unsupported_format",
        f"不支持的文件格式：{suffix or '无扩展名'}（应为 xlsx、xls、csv 或 json）",
        f"unsupported file format {suffix or '(none)'}: use xlsx, xls, csv or json",
    )
