"""Text from students and their file names, made safe where the grader writes it.

Student-controlled text reaches three kinds of readers: spreadsheets (the CSV
tables), terminals (the commands' messages) and files that must be valid
UTF-8 (CSV, HTML, JSON). A file name that is not valid UTF-8 comes from
``os.listdir`` with each bad byte as a lone surrogate (``surrogateescape``);
it is written here as ``\\xNN``, the byte it stands for, so it can still be
recognised. Escapes are shown as Python writes them: ``\\x1b``, ``\\u202e``.
"""

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_ESCAPED_BYTES = range(0xDC80, 0xDD00)  # surrogateescape's stand-ins for the bytes 0x80-0xff


def _escape(char):
    code = ord(char)
    if code in _ESCAPED_BYTES:
        code -= 0xDC00
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _is_surrogate(char):
    return "\ud800" <= char <= "\udfff"


def _escape_where(text, needs_escape):
    return "".join(_escape(char) if needs_escape(char) else char for char in text)


def for_csv(value):
    """A CSV cell a spreadsheet will not run as a formula; values that are not str come back unchanged.

    A str starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
    gets a leading ``'`` (spreadsheets then show it as text); lone surrogates
    are written as ``\\xNN`` so the cell can be encoded as UTF-8, and other
    unprintable characters are escaped as in ``for_terminal`` (a table may end
    up in a terminal too), newlines and tabs kept.
    """
    if not isinstance(value, str):
        return value
    value = for_terminal(value, multiline=True)
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def for_terminal(text, *, multiline=False):
    """``text`` safe to print: every character that is not printable is shown escaped.

    That covers C0 controls (ESC starts the sequences that move the cursor or
    retitle a window), DEL, C1 controls, surrogates and invisible format
    characters such as the right-to-left override. With ``multiline=True``
    newlines and tabs are kept, for messages of several lines.
    """
    text = str(text)
    if text.isprintable():
        return text
    kept = "\n\t" if multiline else ""
    return _escape_where(text, lambda char: not char.isprintable() and char not in kept)


def display_name(name):
    """A file or folder name (str from os.listdir, or bytes) as printable text, valid UTF-8.

    Bytes that are not UTF-8 become ``\\xNN``, other unprintable characters
    are escaped as in ``for_terminal``; the result can be written to CSV,
    HTML and JSON as it is.
    """
    if isinstance(name, bytes):
        name = name.decode("utf-8", "surrogateescape")
    return for_terminal(name)
