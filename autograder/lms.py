"""Import an LMS download of submissions into nbgrader's layout.

Canvas, Moodle, Blackboard and Brightspace hand out a class's notebooks as one
folder or zip, with the student somewhere in each file name.
``import_submissions`` copies every notebook, byte for byte and without
parsing it, to ``OUT/<student_id>/<assignment>/<notebook>.ipynb`` and returns
one ``ImportRow`` per file of the download; ``write_mapping`` saves those rows
as CSV, so the instructor can check who became which folder and why.

Which notebook
    The file name (after the LMS's prefix, see below) must contain a
    notebook name of the course. Names are compared word by word, ignoring
    case and separators (spaces, ``_``, ``-``, ``.``), so ``01_chain_rule``,
    ``01-Chain-Rule`` and ``01 chain rule`` all match. If several notebook names occur, the longest wins, then the one
    nearest the end of the name. A notebook name used by several assignments
    needs an enclosing folder named after its assignment (``Week 1/...``).
    After the notebook name an LMS or a student
    may add decorations: ``-1``, `` (2)``, ``_v3``, ``_late``, ``copy``,
    ``final``, ``attempt2``; their last number is the attempt number.

Which student
    The LMS puts each file under its student by writing its own prefix before
    the student's original file name; only that prefix, or the student's
    folder, says who it is. Nothing in the student's own part of the name can
    file it under someone else: it gives the notebook, and attempt numbers
    that only order that student's own files.

    Blackboard   ``Assignment 1_jsmith_attempt_2026-11-20-10-00-00_01_chain_rule.ipynb``
                 gives ``jsmith``: the word before ``_attempt_``.
    Brightspace  ``123-456 - Jane Smith- Nov 20, 2026 1000 AM - 01_chain_rule.ipynb``
                 gives ``jane_smith``: the name between the numbers and the date.
    Canvas       ``smithjane_12345_6789012_01_chain_rule.ipynb`` and
                 ``smithjane_late_12345_6789012_01_chain_rule-1.ipynb``
                 give ``smithjane``: the first word, before ``_late`` and the
                 user and attachment numbers.
    Moodle       ``Jane Smith_12345_assignsubmission_file_01_chain_rule.ipynb``
                 gives ``jane_smith``: the name before ``_<participant>_assignsubmission_``.

    When several of these fit the start of a name, the shortest prefix is the
    LMS's (a longer one reaches into the student's part). In order:

    1. A folder named like one of these prefixes, the outermost one: Moodle's
       "in folders" download (``Jane Smith_12345_assignsubmission_file_/01_chain_rule.ipynb``).
       The whole file name inside it is the student's own.
    2. The LMS prefix of the file name.
    3. Plain names, with no LMS to vouch for them: ``<student>_<notebook>.ipynb``,
       ``<student>-<notebook>.ipynb`` or ``<student> <notebook>.ipynb``; when
       nothing comes before the notebook name, the words after it that are
       not decorations (``01_chain_rule_jsmith.ipynb``); else the nearest
       enclosing folder whose name is not an assignment or notebook name
       (a folder per student).
    In nbgrader's own layout (``jsmith/01_chain_rule/01_chain_rule.ipynb``, the
    outermost folder directly above an assignment folder) that folder is the
    student: a file in it whose name (2 or 3) gives another student is
    ``unmatched``, never moved to that student.

Student ids are safe folder names: accents dropped, lower case, every run of
other characters than letters, digits, ``.``, ``_`` and ``-`` turned into one
``_``, no ``..``, no leading or trailing ``.``, ``_`` or ``-``, at most 64
characters; an LMS name that leaves nothing (``张伟``) gives the LMS's user
number instead. If two students of one assignment get the same id but the
LMS gave them different user numbers (two Jane Smiths), both ids get their
number appended (``jane_smith_12345``) and the detail says so.

Several files of one student for one notebook: the latest attempt is
imported and the others are marked ``duplicate``. Latest means the later time
in the name (Blackboard, Brightspace) when all of them have one, else the
higher attempt number in the name (Canvas' attachment number, which grows
with every upload, then the decoration number), else the later modification
time of the file or zip entry, else the later name. If the latest cannot be
read, the next one is imported.

Every file gets a row with status ``imported``, ``duplicate``, ``unmatched``
(no notebook or no student found, hidden or system files, unsafe zip paths),
``not_a_notebook`` (not ``.ipynb``) or ``rejected`` (a notebook that cannot be
imported: larger than ``max_notebook_bytes`` (50 MB), corrupt or encrypted in
the zip, unreadable, not a regular file, or a name that is not valid UTF-8).
Names are shown printable (``safe_text.display_name``: ``\\xNN`` for bytes that
are not UTF-8). Each row also records what the LMS said, for sending grades
back: ``lms`` (canvas, moodle, blackboard, brightspace, plain or folder),
``lms_user_id`` (Canvas' user number, Moodle's participant number or
Blackboard's username), ``lms_name`` (the name as the LMS wrote it) and
``submitted_at`` with ``submitted_at_source``: the time in the name (``name``;
the LMS's local time, no UTC offset) or else the modification time
(``mtime``; UTC for a folder, the zip's local time for a zip entry).

Zip entries are read by name and written only to the destinations built
above, so a name such as ``../../evil.ipynb`` can never write outside
``out_dir`` (such entries are reported ``unmatched``). Every copy reads at most
``max_notebook_bytes`` and goes through a temporary file, so a zip bomb fills
neither memory nor disk and no notebook is ever half written. The import
refuses, before writing anything, when it would overwrite a notebook already
in ``out_dir`` (unless ``overwrite=True``) or when the notebooks to import
take more than ``max_total_bytes`` (5 GB) together.
"""
import contextlib
import io
import os
import re
import stat
import struct
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from pathlib import Path

from .notebooks import MAX_NOTEBOOK_BYTES
from .report import atomic_open, write_csv
from .safe_text import display_name, for_terminal

STATUSES = ("imported", "duplicate", "unmatched", "not_a_notebook", "rejected")
MAPPING_NAME = "import_mapping.csv"  # the command writes the mapping beside the student folders
MAX_TOTAL_BYTES = 5 * 1024 ** 3


@dataclass
class ImportRow:
    source: str  # the file's name inside the download, printable
    student_id: str
    assignment: str
    notebook: str
    destination: str  # relative to out_dir, '' if not imported
    status: str  # one of STATUSES
    detail: str
    lms: str = ""  # canvas, moodle, blackboard, brightspace, plain or folder: what named the student
    lms_user_id: str = ""  # Canvas user, Moodle participant number or Blackboard username
    lms_name: str = ""  # the student's name as the LMS wrote it
    submitted_at: str = ""  # ISO 8601
    submitted_at_source: str = ""  # name or mtime


class LmsImportError(ValueError):
    """The download cannot be imported as asked; nothing was written."""


def write_mapping(rows, path):
    """Write the rows of ``import_submissions`` as CSV (atomically), one column per ImportRow field."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_csv(rows, path, ImportRow)


def import_submissions(download, out_dir, course, *, overwrite=False, max_notebook_bytes=MAX_NOTEBOOK_BYTES,
                       max_total_bytes=MAX_TOTAL_BYTES):
    """Copy the notebooks of an LMS download (a folder or .zip) into nbgrader's layout.

    ``course`` maps each assignment to its notebook names (without .ipynb).
    Returns one ImportRow per file of the download, sorted by source.
    """
    download, out_dir = Path(download), Path(out_dir)
    notebooks = _course_notebooks(course)
    limits = (max_notebook_bytes, max_total_bytes)
    if not download.exists():
        raise LmsImportError(f"{download} does not exist")
    if out_dir.exists() and not out_dir.is_dir():
        raise LmsImportError(f"{out_dir} exists and is not a folder")
    if download.is_dir():
        return _import(_folder_files(download, out_dir), out_dir, notebooks, overwrite, limits)
    if not zipfile.is_zipfile(download):
        if download.suffix.lower() == ".zip":
            raise LmsImportError(f"{download} is not a readable zip file (corrupt or truncated?)")
        raise LmsImportError(f"{download} is neither a folder nor a .zip file")
    with contextlib.ExitStack() as stack:
        archive, non_utf8 = _open_zip(download, stack)
        return _import(_zip_files(archive, non_utf8), out_dir, notebooks, overwrite, limits)


# -- reading the download -------------------------------------------------------

_NOT_UTF8 = "the name is not valid UTF-8 (shown with \\xNN for its bytes); rename the file and import again"
_COPY_ERRORS = (OSError, EOFError, zipfile.BadZipFile, zlib.error, RuntimeError, ValueError)


@dataclass
class _File:
    source: str  # as named in the download, printable
    parts: tuple  # its folders, then its file name
    mtime: datetime  # naive, to order attempts
    modified: str  # the modification time in ISO 8601, '' if unknown
    size: int
    open: object  # open() -> a binary stream of its bytes
    problem: str = ""  # why it must not be imported, if anything
    problem_status: str = "rejected"


def _folder_files(root, out_dir):
    skip = out_dir.resolve()
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        # Never read back what an earlier import wrote into the download folder.
        dirnames[:] = sorted(d for d in dirnames if (here / d).resolve() != skip)
        files += [_folder_file(here / name, root) for name in sorted(filenames)]
    return files


def _folder_file(path, root):
    relative = path.relative_to(root)
    file = _File(display_name(relative.as_posix()), relative.parts, datetime.min, "", 0, partial(open, path, "rb"))
    try:
        status = path.lstat()  # a link is not followed: it could point anywhere
    except OSError as exc:
        file.problem = f"cannot be read: {exc.strerror or exc}"
        return file
    file.mtime, file.size = datetime.fromtimestamp(status.st_mtime), status.st_size
    file.modified = datetime.fromtimestamp(status.st_mtime, timezone.utc).isoformat(timespec="seconds")
    if not _is_utf8(relative.as_posix()):
        file.problem = _NOT_UTF8
    elif not stat.S_ISREG(status.st_mode):
        file.problem = "not a regular file (a link, pipe or device), not imported"
    return file


def _is_utf8(name):
    """Whether a name (bytes, or str from os.listdir with surrogateescape) is valid UTF-8."""
    try:
        name.decode("utf-8") if isinstance(name, bytes) else name.encode("utf-8")
    except UnicodeError:
        return False
    return True


def _open_zip(download, stack):
    """(the ZipFile, names it read as cp437 because their UTF-8 flag was wrong), closed with ``stack``."""
    try:
        try:
            return stack.enter_context(zipfile.ZipFile(download)), set()
        except UnicodeDecodeError:  # zipfile gives up on the whole archive for one such name
            reader = stack.enter_context(_NonUtf8NamesAsCp437(download))
            return stack.enter_context(zipfile.ZipFile(reader)), frozenset(reader.non_utf8)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise LmsImportError(f"{download} is not a readable zip file: {exc}") from exc


class _NonUtf8NamesAsCp437(io.FileIO):
    """A zip file whose central directory, as read, has the UTF-8 flag cleared on names that are not UTF-8.

    zipfile then reads those names as cp437 (every byte is a character there)
    and can list the archive; ``non_utf8`` collects them, while it lists, so
    they are rejected. A later read of some entry's data that happens to start
    like a directory record can at worst corrupt that entry, which then fails
    its checksum.
    """

    _RECORD = b"PK\x01\x02"
    _UTF8_FLAG = 0x800

    def __init__(self, path):
        super().__init__(path, "rb")
        self.non_utf8 = set()

    def read(self, size=-1):
        data = super().read(size)
        return self._unflagged(data) if data.startswith(self._RECORD) else data

    def _unflagged(self, data):
        data, at = bytearray(data), 0
        while data[at:at + 4] == self._RECORD and at + 46 <= len(data):
            (flags,) = struct.unpack_from("<H", data, at + 8)
            name_length, extra_length, comment_length = struct.unpack_from("<3H", data, at + 28)
            name = bytes(data[at + 46:at + 46 + name_length])
            if flags & self._UTF8_FLAG and not _is_utf8(name):
                struct.pack_into("<H", data, at + 8, flags & ~self._UTF8_FLAG)
                self.non_utf8.add(name.decode("cp437"))
            at += 46 + name_length + extra_length + comment_length
        return bytes(data)


def _zip_files(archive, non_utf8):
    return [_zip_file(archive, info, info.orig_filename in non_utf8)
            for info in archive.infolist() if not info.is_dir()]


def _zip_file(archive, info, name_not_utf8):
    name = info.filename.replace("\\", "/")
    parts = tuple(p for p in name.split("/") if p not in ("", "."))
    shown = display_name(info.orig_filename.encode("cp437") if name_not_utf8 else info.filename)
    try:
        mtime = datetime(*info.date_time)
    except ValueError:
        mtime = datetime.min
    modified = mtime.isoformat() if mtime != datetime.min else ""
    file = _File(shown, parts, mtime, modified, info.file_size, partial(archive.open, info))
    if name.startswith("/") or re.match(r"[A-Za-z]:", name) or ".." in parts or not parts:
        file.problem, file.problem_status = "unsafe path in the zip (absolute or with '..'), not imported", "unmatched"
    elif name_not_utf8:
        file.problem = _NOT_UTF8
    return file


# -- reading names ----------------------------------------------------------------

_WORD = re.compile(r"[^\W_]+")
_SEPARATORS = " _-.\t"
_DECORATION = re.compile(r"\d+|v\d+|attempt\d*|late|copy\d*|final|rev\d*|version\d*"
                         r"|submission|submitted|resubmission|resubmit", re.IGNORECASE)

# Each LMS's prefix, up to and including the separator before the student's original file name.
_BLACKBOARD = re.compile(r"(?P<assignment>.*?)_(?P<student>[^_]+)_attempt_"
                         r"(?P<time>\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2})(?:_|$)", re.IGNORECASE)
_BRIGHTSPACE = re.compile(r"\d+-\d+\s+-\s+(?P<student>.+?)-\s+(?P<month>[A-Za-z]{3})[A-Za-z]*\.?"
                          r"\s+(?P<day>\d{1,2}),\s+(?P<year>\d{4})\s+(?P<hour>\d{1,2})(?P<minute>\d{2})"
                          r"\s+(?P<half>[AP]M)(?:\s+-\s+|\s*$)", re.IGNORECASE)
_CANVAS = re.compile(r"(?P<student>[^_]+?)(?P<late>_late)?_(?P<user>\d+)_(?P<upload>\d+)(?:_|$)", re.IGNORECASE)
_MOODLE = re.compile(r"(?P<student>.+?)_(?P<participant>\d+)_assign(?:submission|feedback)_[a-z]+(?:_|$)",
                     re.IGNORECASE)
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]


def _words(text):
    return tuple(word.casefold() for word in _WORD.findall(text))


def _key(text):
    """A name without case and separators: 'Week 1', 'week-1' and 'WEEK1' are one folder."""
    return "".join(_words(text))


def _number(digits):
    """An attempt or upload number; 18 digits at most (longer ones cannot be int() in Python 3.11)."""
    return int(digits[:18])


def safe_id(text):
    """``text`` as a student id that is a safe folder name ('' if nothing is left)."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z0-9._-]+", "_", text)
    text = re.sub(r"\.{2,}", ".", text)
    return text.strip("._-")[:64].strip("._-")


@dataclass
class _Who:
    student_id: str
    pattern: str  # Blackboard, Brightspace, Canvas, Moodle or plain
    user_id: str = ""  # Canvas user, Moodle participant number, Blackboard username
    name: str = ""  # the name as the LMS wrote it
    when: datetime = None  # the submission time in the name
    upload: int = 0  # Canvas' attachment number
    late: bool = False
    where: str = "file name"  # what named the student

    @property
    def lms(self):
        if self.pattern != "plain":
            return self.pattern.lower()
        return "folder" if self.where.startswith("folder") else "plain"


def _lms_prefix(text, whole=False):
    """(who, length) of the LMS prefix that starts ``text`` (is all of it if ``whole``), or None.

    Of several that fit, the shortest: a longer one reaches into what the student named.
    """
    found = []
    for rank, (pattern, make) in enumerate(_LMS_PREFIXES):
        match = (pattern.fullmatch if whole else pattern.match)(text)
        if match:
            found.append((match.end(), rank, match, make))
    if not found:
        return None
    length, _, match, make = min(found, key=lambda item: item[:2])
    return make(match), length


def _lms_who(pattern, match, user_id="", name="", **more):
    student = match["student"]
    return _Who(safe_id(student) or safe_id(user_id), pattern, user_id, name, **more)


def _blackboard_who(match):
    try:
        when = datetime.strptime(match["time"], "%Y-%m-%d-%H-%M-%S")
    except ValueError:
        when = None
    return _lms_who("Blackboard", match, user_id=match["student"], when=when)


def _brightspace_who(match):
    return _lms_who("Brightspace", match, name=match["student"].strip(), when=_brightspace_time(match))


def _canvas_who(match):
    return _lms_who("Canvas", match, user_id=match["user"], name=match["student"],
                    upload=_number(match["upload"]), late=bool(match["late"]))


def _moodle_who(match):
    return _lms_who("Moodle", match, user_id=match["participant"], name=match["student"])


_LMS_PREFIXES = [(_BLACKBOARD, _blackboard_who), (_BRIGHTSPACE, _brightspace_who), (_CANVAS, _canvas_who),
                 (_MOODLE, _moodle_who)]


def _brightspace_time(match):
    month = match["month"].lower()
    if month not in _MONTHS:
        return None
    hour = int(match["hour"]) % 12 + (12 if match["half"].upper() == "PM" else 0)
    try:
        return datetime(int(match["year"]), _MONTHS.index(month) + 1, int(match["day"]),
                        hour, int(match["minute"]))
    except ValueError:
        return None


def _course_notebooks(course):
    """[(words, assignment, notebook)] for every notebook of the course."""
    notebooks = [(_words(name), assignment, name)
                 for assignment, names in course.items() for name in names]
    notebooks = [entry for entry in notebooks if entry[0]]
    if not notebooks:
        raise LmsImportError("the course lists no notebooks to import")
    return notebooks


def _find_notebook(stem, folders, notebooks):
    """(assignment, notebook, start, end) of the notebook named in ``stem``, or a str saying why not."""
    spans = [(m.group().casefold(), m.start(), m.end()) for m in _WORD.finditer(stem)]
    words = tuple(word for word, _, _ in spans)
    found = []
    for target, assignment, notebook in notebooks:
        for i in range(len(words) - len(target), -1, -1):  # the last occurrence
            if words[i:i + len(target)] == target:
                found.append(((len(target), i), assignment, notebook))
                break
    if not found:
        return None
    best = max(rank for rank, _, _ in found)
    found = [(assignment, notebook) for rank, assignment, notebook in found if rank == best]
    if len(found) > 1:
        # One notebook name in several assignments: a folder named after the assignment decides.
        folder_keys = {_key(folder) for folder in folders}
        found = [(a, n) for a, n in found if _key(a) in folder_keys] or found
    if len(found) > 1:
        return ("the notebook name belongs to several assignments ("
                + ", ".join(f"{a}/{n}" for a, n in found)
                + "); put the files in a folder named after the assignment")
    length, i = best
    return found[0] + (spans[i][1], spans[i + length - 1][2])


def _read_suffix(text):
    """(words that are not decorations, late, attempt number) of what follows the notebook name."""
    words = _WORD.findall(text)
    decorations = [w for w in words if _DECORATION.fullmatch(w)]
    numbers = [_number(re.sub(r"\D", "", w)) for w in decorations if re.search(r"\d", w)]
    others = [w for w in words if not _DECORATION.fullmatch(w)]
    late = any(w.lower() == "late" for w in decorations)
    return others, late, numbers[-1] if numbers else 0


def _in_folder(who, folder):
    who.where = f"folder name {folder!r}"
    return who


def _folder_who(folder):
    found = _lms_prefix(folder.strip(), whole=True)
    return _in_folder(found[0] if found else _Who(safe_id(folder), "plain"), folder)


def _moodle_folder(folders):
    """The student of the outermost folder Moodle made for a participant, or None."""
    found = (_in_folder(_moodle_who(match), folder) for folder in folders
             if (match := _MOODLE.fullmatch(folder.strip())))
    return next(found, None)


def _course_names(notebooks):
    return {_key(name) for _, assignment, notebook in notebooks for name in (assignment, notebook)}


def _nbgrader_folder(folders, notebooks):
    """The student of nbgrader's layout: the outermost folder directly above an assignment folder, or None."""
    assignments = {_key(assignment) for _, assignment, _ in notebooks}
    names = _course_names(notebooks)
    found = (_folder_who(folder) for folder, inner in zip(folders, folders[1:])
             if _key(inner) in assignments and _key(folder) not in names)
    return next(found, None)


def _nearest_folder(folders, notebooks):
    """The student of the nearest folder that is not named after an assignment or notebook."""
    names = _course_names(notebooks)
    found = (_folder_who(folder) for folder in reversed(folders) if _key(folder) not in names)
    return next((who for who in found if who.student_id), _Who("", "plain"))


def _plain_who(before, others):
    """(who, words after the notebook name still unexplained) of a name no LMS vouches for."""
    if student := safe_id(before.strip(_SEPARATORS)):
        return _Who(student, "plain"), others
    if others:
        return _Who(safe_id("_".join(others)), "plain", where="file name, after the notebook name"), []
    return _Who("", "plain"), others


# -- importing ---------------------------------------------------------------------

@dataclass
class _Candidate:
    file: _File
    order: int
    student_id: str
    assignment: str
    notebook: str
    who: _Who
    attempt: tuple
    notes: list = field(default_factory=list)

    @property
    def destination(self):
        return f"{self.student_id}/{self.assignment}/{self.notebook}.ipynb"


def _row(file, status, detail, candidate=None, destination="", assignment="", notebook=""):
    who = candidate.who if candidate else _Who("", "")
    if candidate:
        assignment, notebook = candidate.assignment, candidate.notebook
    when, source = ((who.when.isoformat(), "name") if who.when else
                    (file.modified, "mtime" if file.modified else ""))
    return ImportRow(file.source, candidate.student_id if candidate else "", assignment, notebook, destination,
                     status, for_terminal(detail), who.lms, who.user_id, who.name, when, source)


def _classify(file, order, notebooks):
    """A _Candidate for import, or the final ImportRow of a file that cannot be imported."""
    if file.problem:
        return _row(file, file.problem_status if file.source.lower().endswith(".ipynb") else "not_a_notebook",
                    file.problem)
    if os.path.splitext(file.parts[-1])[1].lower() != ".ipynb":
        return _row(file, "not_a_notebook", "not a .ipynb file")
    hidden = [p for p in file.parts if p.startswith(".") or p == "__MACOSX"]
    if hidden:
        return _row(file, "unmatched", f"hidden or system file ({hidden[0]}), not a submission")
    return _identify(file, order, notebooks)


def _identify(file, order, notebooks):
    """Which notebook of which student a notebook file is: a _Candidate, or an 'unmatched' ImportRow."""
    folders, stem = file.parts[:-1], os.path.splitext(file.parts[-1])[0]
    folder_who = _moodle_folder(folders)
    who, original = (folder_who, stem) if folder_who else _name_who(stem)
    found = _find_notebook(original, folders, notebooks)
    if not isinstance(found, tuple):
        expected = ", ".join(sorted({f"{n}.ipynb" for _, _, n in notebooks}))
        return _row(file, "unmatched", found or f"no notebook of the course in the name; expected one of {expected}")
    assignment, notebook, start, end = found
    others, late, number = _read_suffix(original[end:])
    notes = []
    if who is None:
        who, others = _plain_who(original[:start], others)
    elif _words(original[:start]):
        notes.append("ignored before the notebook name: " + " ".join(_WORD.findall(original[:start])))
    if not folder_who:
        who = _check_layout(who, folders, notebooks)
    if isinstance(who, str) or who.student_id in ("", MAPPING_NAME):
        why = who if isinstance(who, str) else f"found {notebook} but no student id in the name or its folders"
        return _row(file, "unmatched", why, assignment=assignment, notebook=notebook)
    notes = ([f"{who.pattern} {who.where}"] + notes + (["marked late"] if late or who.late else [])
             + (["ignored after the notebook name: " + " ".join(others)] if others else []))
    return _Candidate(file, order, who.student_id, assignment, notebook, who, (who.upload, number), notes)


def _name_who(stem):
    """(who from the file name's LMS prefix or None, the rest of the name: the student's own)."""
    if found := _lms_prefix(stem):
        who, length = found
        return who, stem[length:]
    return None, stem


def _check_layout(who, folders, notebooks):
    """``who`` of the file name, checked against nbgrader's layout; a str saying why not when they disagree.

    When a plain name gives nobody, the folders do.
    """
    layout = _nbgrader_folder(folders, notebooks)
    if layout and who.student_id and who.student_id != layout.student_id:
        return (f"in nbgrader's layout the {layout.where} is the student {layout.student_id!r}, but the file "
                f"name gives {who.student_id!r}; not imported")
    if who.student_id or who.pattern != "plain":
        return who
    return layout or _nearest_folder(folders, notebooks)


def _tell_apart_namesakes(candidates):
    """Two students of one assignment with one id but different LMS user numbers get their numbers appended."""
    numbers = {}
    for c in candidates:
        if c.who.user_id:
            numbers.setdefault((c.student_id, c.assignment), set()).add(c.who.user_id)
    for c in candidates:
        if len(numbers.get((c.student_id, c.assignment), ())) > 1:
            c.notes.append(f"several {c.who.pattern} students are called {c.student_id!r}; "
                           f"told apart by their number {c.who.user_id}")
            c.student_id = safe_id(f"{c.student_id}_{c.who.user_id}")


def _latest_first(group, timed):
    """The group's files, latest attempt first; ``timed``: all of them have a time in their name."""
    return sorted(group, reverse=True, key=lambda c: (c.who.when if timed else datetime.min,
                                                      c.attempt, c.file.mtime, c.file.source, c.order))


def _why_kept(kept, other, timed):
    if timed and kept.who.when != other.who.when:
        return "a later time in its name"
    if kept.attempt != other.attempt:
        return "a higher attempt number in its name"
    if kept.file.mtime != other.file.mtime:
        return "a later modification time"
    return "a later name"


def _too_large(limit, size=None):
    size = "" if size is None else f"{size:,} bytes, "
    return f"{size}more than the {limit:,} bytes a notebook may have"


def _import(files, out_dir, notebooks, overwrite, limits):
    max_notebook_bytes, max_total_bytes = limits
    rows, candidates = [], []
    for order, file in enumerate(files):
        result = _classify(file, order, notebooks)
        if isinstance(result, _Candidate) and file.size > max_notebook_bytes:
            result = _row(file, "rejected", _too_large(max_notebook_bytes, file.size), result)
        if isinstance(result, _Candidate):
            candidates.append(result)
        else:
            rows.append((order, result))
    _tell_apart_namesakes(candidates)

    groups = {}
    for c in candidates:
        groups.setdefault((c.student_id, c.assignment, c.notebook), []).append(c)
    plans = []
    for group in groups.values():
        timed = all(c.who.when is not None for c in group)
        plans.append((_latest_first(group, timed), timed))
    _refuse_before_writing([ordered[0].destination for ordered, _ in plans], candidates, out_dir, overwrite,
                           max_total_bytes)
    for ordered, timed in plans:
        rows += _import_latest(ordered, timed, out_dir, max_notebook_bytes)
    return [row for _, row in sorted(rows, key=lambda item: (item[1].source, item[0]))]


def _refuse_before_writing(destinations, candidates, out_dir, overwrite, max_total_bytes):
    existing = [d for d in destinations if (out_dir / d).exists()]
    if existing and not overwrite:
        shown = ", ".join(sorted(existing)[:5]) + (f" and {len(existing) - 5} more" if len(existing) > 5 else "")
        raise LmsImportError(f"{out_dir} already holds {len(existing)} of the notebooks to import ({shown}); "
                             "nothing was written. Import into an empty folder, or pass overwrite=True")
    total = sum(c.file.size for c in candidates)
    if total > max_total_bytes:
        raise LmsImportError(f"the notebooks to import take {total:,} bytes, more than the {max_total_bytes:,} "
                             "allowed (max_total_bytes); nothing was written")


def _import_latest(ordered, timed, out_dir, limit):
    """[(order, row)] of one student's files for one notebook: the latest that can be read is imported."""
    rows = []
    for index, c in enumerate(ordered):
        problem = _copy(c.file, out_dir, c.destination, limit)
        if problem:
            rows.append((c.order, _row(c.file, "rejected", problem, c)))
            continue
        if len(ordered) > 1:
            c.notes.append(f"latest of {len(ordered)} files" + (f", {index} later one(s) rejected" if index else ""))
        rows.append((c.order, _row(c.file, "imported", "; ".join(c.notes), c, c.destination)))
        rows += [(o.order, _row(o.file, "duplicate", f"older attempt; kept {c.file.source} "
                                                     f"({_why_kept(c, o, timed)})", o))
                 for o in ordered[index + 1:]]
        break
    return rows


class _TooLarge(Exception):
    pass


def _copy(file, out_dir, destination, limit):
    """Copy at most ``limit`` bytes of ``file`` to out_dir/destination, whole or not at all; '' or why not."""
    target = out_dir / destination
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with file.open() as source, atomic_open(target, "wb") as sink:
            copied = 0
            while chunk := source.read(1 << 20):
                copied += len(chunk)
                if copied > limit:
                    raise _TooLarge
                sink.write(chunk)
        return ""
    except _TooLarge:
        problem = _too_large(limit)
    except _COPY_ERRORS as exc:
        problem = f"cannot be copied ({type(exc).__name__}): {exc}"
    for folder in (target.parent, target.parent.parent):  # the folders made for it, if still empty
        with contextlib.suppress(OSError):
            folder.rmdir()
    return problem
