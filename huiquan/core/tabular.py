"""Reading the spreadsheets people actually send: CSV (UTF-8 or GBK, as Excel in China saves
it) or xlsx (openpyxl), with Chinese or English column names. Used by every import."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from huiquan.core.errors import CoreCode, DomainError

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000


class TableError(DomainError):
    code = CoreCode.FILE_INVALID
    status = 422


@dataclass(frozen=True)
class Row:
    number: int  # as a person sees it in the spreadsheet (header is row 1)
    values: dict[str, str]


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TableError("文件编码无法识别：请保存为 UTF-8 或 GBK 编码的 CSV，或 xlsx 文件")


def _cells_csv(data: bytes) -> Iterator[list[str]]:
    text = _decode(data)
    if "\x00" in text:
        raise TableError("文件不是文本格式的 CSV：请上传 CSV 或 xlsx 文件")
    yield from csv.reader(io.StringIO(text))


def _cells_xlsx(data: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, SyntaxError) as exc:
        # SyntaxError: the XML inside a damaged workbook (ElementTree's ParseError)
        raise TableError("文件不是有效的 xlsx 表格：请用 Excel/WPS 另存为 xlsx 后重试") from exc
    try:
        sheet = book.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield ["" if v is None else _cell_text(v) for v in row]
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, SyntaxError) as exc:
        raise TableError("xlsx 表格内容已损坏：请用 Excel/WPS 另存为 xlsx 后重试") from exc
    finally:
        book.close()


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel turns 6901234567892 into 6.901234567892E12
    return str(value)


def read_table(*, name: str, data: bytes, columns: Mapping[str, tuple[str, ...]],
               required: tuple[str, ...]) -> list[Row]:
    """Rows as {column key: text}; ``columns`` maps each key to the headers it may carry."""
    if len(data) > MAX_BYTES:
        raise TableError(f"文件过大（超过 {MAX_BYTES // 1024 // 1024} MB）")
    if not data:
        raise TableError("文件是空的")
    is_xlsx = data[:4] == b"PK\x03\x04"
    if name.lower().endswith(".xlsx") and not is_xlsx:
        raise TableError("文件扩展名是 xlsx，但内容不是 xlsx 表格")
    cells = _cells_xlsx(data) if is_xlsx else _cells_csv(data)
    try:
        header = next(cells)
    except StopIteration:
        raise TableError("文件是空的") from None
    except csv.Error as exc:
        raise TableError(f"CSV 格式错误：{exc}") from exc
    wanted = {alias.strip().lower(): key for key, aliases in columns.items() for alias in aliases}
    index: dict[str, int] = {}
    for i, title in enumerate(header):
        key = wanted.get(str(title).strip().lower())
        if key and key not in index:
            index[key] = i
    missing = [columns[k][0] for k in required if k not in index]
    if missing:
        raise TableError("表头缺少列：" + "、".join(missing) + "（第一行应为列名）")
    rows: list[Row] = []
    try:
        for number, raw in enumerate(cells, start=2):
            if not any(str(c).strip() for c in raw):
                continue
            if len(rows) >= MAX_ROWS:
                raise TableError(f"行数过多（超过 {MAX_ROWS} 行），请分批导入")
            values = {k: (str(raw[i]).strip() if i < len(raw) else "") for k, i in index.items()}
            rows.append(Row(number, values))
    except csv.Error as exc:
        raise TableError(f"CSV 格式错误：{exc}") from exc
    return rows


def read_path(path: Path, **kwargs: object) -> list[Row]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TableError(f"无法读取文件 {path}：{exc.strerror}") from exc
    return read_table(name=path.name, data=data, **kwargs)  # type: ignore[arg-type]
