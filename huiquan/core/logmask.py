"""No resident ID number or phone number in any log line (issue 11, item 7; invariant 7).

``MaskPersonalData`` is a logging filter installed on every handler (``settings.LOGGING``, and
``install()`` at start-up for the handlers Django, gunicorn or a library set up themselves). It
masks, in the message with its arguments, the exception text with its traceback and the stack
text, every run of 11 or more digits — an 11-digit phone, an 18-character ID number with its
check character, a 17-character fragment of one, with single spaces or hyphens between groups —
in any of the characters Unicode reads as digits (Arabic-Indic ٣, superscript ³, fullwidth ３ …),
since hostile input arrives in those too. Shorter numbers (ids, amounts, times) are left alone.
"""

from __future__ import annotations

import logging
import re
import sys
import unicodedata
from typing import Any


def _digit_class() -> str:
    """A regular-expression class of every character with a digit value (``\\d`` alone misses
    superscripts and circled digits)."""
    points = [p for p in range(sys.maxunicode + 1) if unicodedata.digit(chr(p), None) is not None]
    ranges: list[tuple[int, int]] = []
    for point in points:
        if ranges and ranges[-1][1] == point - 1:
            ranges[-1] = (ranges[-1][0], point)
        else:
            ranges.append((point, point))
    return "[" + "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
                         for a, b in ranges) + "]"


_D = _digit_class()
LONG_NUMBER = re.compile(rf"(?<!{_D}){_D}(?:[ \-]?{_D}){{10,}}(?:[ \-]?[XxＸｘ])?(?!{_D})")


def _hide(match: re.Match[str]) -> str:
    run = match.group(0)
    return run[:3] + "*" * (len(run) - 5) + run[-2:]


def mask(text: str) -> str:
    """The text with every long number masked: ``13800138000`` → ``138******00``."""
    return LONG_NUMBER.sub(_hide, text)


def mask_record(record: logging.LogRecord) -> logging.LogRecord:
    """The record with its message, exception text and stack masked, in place."""
    MaskPersonalData().filter(record)
    return record


class MaskPersonalData(logging.Filter):
    """Masks the record in place (so every later handler sees it masked too); never drops it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_masked", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: log what there is, masked
            message = f"{record.msg} {record.args}"
        record.msg, record.args = mask(message), None
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            # The exception object itself carries the raw text: no handler gets it.
            record.exc_info = None
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        record._masked = True
        return True


_plain_factory = logging.getLogRecordFactory()


def _masking_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    return mask_record(_plain_factory(*args, **kwargs))


def install() -> None:
    """Mask every record where it is made (a log-record factory), so a handler a library or a
    later reconfiguration sets up — which no filter list can know of — never sees a raw number;
    and add the filter to every handler there is now (records made before start-up)."""
    if logging.getLogRecordFactory() is not _masking_factory:
        logging.setLogRecordFactory(_masking_factory)
    loggers: list[logging.Logger] = [logging.getLogger()]
    loggers += [lg for lg in list(logging.root.manager.loggerDict.values())
                if isinstance(lg, logging.Logger)]
    for logger in loggers:
        for handler in logger.handlers:
            if not any(isinstance(f, MaskPersonalData) for f in handler.filters):
                handler.addFilter(MaskPersonalData())
