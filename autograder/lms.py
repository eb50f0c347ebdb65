"""Import an LMS download of submissions into nbgrader's layout.

Canvas, Moodle, Blackboard and Brightspace hand out a class's notebooks as one
folder or zip, with the student somewhere in each file name.
``import_submissions`` copies every notebook, byte for byte and without
parsing it, to ``OUT/<student_id>/<assignment>/<notebook>.ipynb`` and returns
one ``ImportRow`` per file of the download; ``write_mapping`` saves those rows
as CSV, so the instructor can check who became which folder and why.

Which notebook
    The file name must contain a notebook name of the course. Names are
    compared word by word, ignoring case and separators (spaces, ``_``, ``-``,
    ``.``), so ``01_chain_rule``, ``01-Chain-Rule`` and ``01 chain rule`` all
    match. If several notebook names occur, the longest wins, then the one
    nearest the end of the name. A notebook name used by several assignments
    needs an enclosing folder named after its assignment (``Week 1/...``).
    After the notebook name an LMS or a student
    may add decorations: ``-1``, `` (2)``, ``_v3``, ``_late``, ``copy``,
    ``final``, ``attempt2``; their last number is the attempt number.

Which student (from the part of the file name before the notebook name)
    Blackboard   ``Assignment 1_jsmith_attempt_2026-11-20-10-00-00_01_chain_rule.ipynb``
                 gives ``jsmith``: the word before ``_attempt_``.
    Brightspace  ``123-456 - Jane Smith- Nov 20, 2026 1000 AM - 01_chain_rule.ipynb``
                 gives ``jane_smith``: the name between the numbers and the date.
    Canvas       ``smithjane_12345_6789012_01_chain_rule.ipynb`` and
                 ``smithjane_late_12345_6789012_01_chain_rule-1.ipynb``
                 give ``smithjane``: the first word, before ``_late`` and the
                 user and attachment numbers.
    Moodle       ``Jane Smith_12345_assignsubmission_file_01_chain_rule.ipynb``
                 gives ``jane_smith``: the name before the first ``_<digits>_``.
    Plain        ``<student>_<notebook>.ipynb``, ``<student>-<notebook>.ipynb``
                 and ``<student> <notebook>.ipynb`` give ``<student>``.
    When nothing comes before the notebook name, the words after it that are
    not decorations give the student (``01_chain_rule_jsmith.ipynb``), else
    the nearest enclosing folder whose name is not an assignment or notebook
    name, read with the same patterns: Moodle's "in folders" download
    (``Jane Smith_12345_assignsubmission_file_/01_chain_rule.ipynb``), a folder
    per student, or nbgrader's own layout (``jsmith/01_chain_rule/01_chain_rule.ipynb``).

Student ids are safe folder names: accents dropped, lower case, every run of
other characters than letters, digits, ``.``, ``_`` and ``-`` turned into one
``_``, no ``..``, no leading or trailing ``.``, ``_`` or ``-``, at most 64
characters. If two students of one assignment get the same id but Canvas or
Moodle gave them different numbers (two Jane Smiths), both ids get their
number appended (``jane_smith_12345``) and the detail says so.

Several files of one student for one notebook: the latest attempt is
imported and the others are marked ``duplicate``. Latest means the later time
in the name (Blackboard, Brightspace) when all of them have one, else the
higher attempt number in the name (Canvas' attachment number, which grows
with every upload, then the decoration number), else the later modification
time of the file or zip entry, else the later name.

Every file gets a row with status ``imported``, ``duplicate``, ``unmatched``
(no notebook or no student found, hidden or system files, unsafe zip paths)
or ``not_a_notebook`` (not ``.ipynb``). Zip entries are read by name and
written only to the destinations built above, so a name such as
``../../evil.ipynb`` can never write outside ``out_dir`` (such entries are
reported ``unmatched``). The import refuses, before writing anything, when it
would overwrite a notebook already in ``out_dir`` (unless ``overwrite=True``).
"""
import os
import re
import shutil
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path

from .report import write_csv

STATUSES = ("imported", "duplicate", "unmatched", "not_a_notebook")


@dataclass
class ImportRow:
    source: str  # the file's name inside the download
    student_id: str
    assignment: str
    notebook: str
    destination: str  # relative to out_dir, '' if not imported
    status: str  # one of STATUSES
    detail: str


class LmsImportError(ValueError):
    """The download cannot be imported as asked; nothing was written."""


def write_mapping(rows, path):
    """Write the rows of ``import_submissions`` as CSV, one column per ImportRow field."""
    write_csv(rows, path, ImportRow)


def import_submissions(download, out_dir, course, *, overwrite=False):
    """Copy the notebooks of an LMS download (a folder or .zip) into nbgrader's layout.

    ``course`` maps each assignment to its notebook names (without .ipynb).
    Returns one ImportRow per file of the download, sorted by source.
    """
    download, out_dir = Path(download), Path(out_dir)
    notebooks = _course_notebooks(course)
    if not download.exists():
        raise LmsImportError(f"{download} does not exist")
    if out_dir.exists() and not out_dir.is_dir():
        raise LmsImportError(f"{out_dir} exists and is not a folder")
    if download.is_dir():
        return _import(_folder_files(download, out_dir), out_dir, notebooks, overwrite)
    if not zipfile.is_zipfile(download):
        if download.suffix.lower() == ".zip":
            raise LmsImportError(f"{download} is not a readable zip file (corrupt or truncated?)")
        raise LmsImportError(f"{download} is neither a folder nor a .zip file")
    try:
        archive = zipfile.ZipFile(download)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise LmsImportError(f"{download} is not a readable zip file: {exc}") from exc
    with archive:
        _check_zip(archive, download)
        return _import(_zip_files(archive), out_dir, notebooks, overwrite)


# -- reading the download -------------------------------------------------------

@dataclass
class _File:
    source: str  # as named in the download
    parts: tuple  # its folders, then its file name
    mtime: datetime
    copy_to: object  # copy_to(destination_path) writes its bytes
    problem: str = ""  # why it must not be imported, if anything


def _folder_files(root, out_dir):
    skip = out_dir.resolve()
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        # Never read back what an earlier import wrote into the download folder.
        dirnames[:] = sorted(d for d in dirnames if (here / d).resolve() != skip)
        for name in sorted(filenames):
            path = here / name
            relative = path.relative_to(root)
            problem = ""
            try:
                mtime = datetime.fromtimestamp(path.stat().st_mtime)
            except OSError as exc:
                mtime, problem = datetime.min, f"cannot be read: {exc.strerror or exc}"
            files.append(_File(relative.as_posix(), relative.parts, mtime,
                               partial(shutil.copyfile, path), problem))
    return files


def _check_zip(archive, download):
    try:
        bad = archive.testzip()
    except (zipfile.BadZipFile, EOFError, zlib.error, OSError) as exc:
        raise LmsImportError(f"{download} is a corrupt zip file: {exc}") from exc
    except NotImplementedError as exc:
        raise LmsImportError(f"{download}: {exc}; unpack it with another tool and import the folder") from exc
    except RuntimeError as exc:  # an encrypted entry
        raise LmsImportError(f"{download}: {exc}") from exc
    if bad is not None:
        raise LmsImportError(f"{download} is a corrupt zip file: entry {bad!r} fails its checksum")


def _zip_files(archive):
    files = []
    for info in archive.infolist():
        if info.is_dir():
            continue
        name = info.filename.replace("\\", "/")
        parts = tuple(p for p in name.split("/") if p not in ("", "."))
        problem = ""
        if name.startswith("/") or re.match(r"[A-Za-z]:", name) or ".." in parts or not parts:
            problem = "unsafe path in the zip (absolute or with '..'), not imported"
        try:
            mtime = datetime(*info.date_time)
        except ValueError:
            mtime = datetime.min
        files.append(_File(info.filename, parts, mtime, partial(_copy_entry, archive, info), problem))
    return files


def _copy_entry(archive, info, destination):
    with archive.open(info) as source, open(destination, "wb") as target:
        shutil.copyfileobj(source, target)


# -- reading names ----------------------------------------------------------------

_WORD = re.compile(r"[^\W_]+")
_SEPARATORS = " _-.\t"
_DECORATION = re.compile(r"\d+|v\d+|attempt\d*|late|copy\d*|final|rev\d*|version\d*"
                         r"|submission|submitted|resubmission|resubmit", re.IGNORECASE)

_BLACKBOARD = re.compile(r"(?P<assignment>.*)_(?P<student>[^_]+)_attempt_"
                         r"(?P<time>\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2})", re.IGNORECASE)
_BRIGHTSPACE = re.compile(r"\d+-\d+\s+-\s+(?P<student>.+?)\s*-\s+(?P<month>[A-Za-z]{3})[A-Za-z]*\.?"
                          r"\s+(?P<day>\d{1,2}),\s+(?P<year>\d{4})\s+(?P<hour>\d{1,2})(?P<minute>\d{2})"
                          r"\s+(?P<half>[AP]M)", re.IGNORECASE)
_CANVAS = re.compile(r"(?P<student>[^_]+?)(?P<late>_late)?_(?P<user>\d+)_(?P<upload>\d+)", re.IGNORECASE)
_MOODLE = re.compile(r"(?P<student>.+?)_(?P<participant>\d+)_assign(?:submission|feedback)_[a-z]+",
                     re.IGNORECASE)
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]


def _words(text):
    return tuple(word.casefold() for word in _WORD.findall(text))


def _key(text):
    """A name without case and separators: 'Week 1', 'week-1' and 'WEEK1' are one folder."""
    return "".join(_words(text))


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
    lms_number: str = ""  # Canvas user or Moodle participant number
    when: datetime = None  # the submission time in the name
    upload: int = 0  # Canvas' attachment number
    late: bool = False


def _read_student(text):
    """Who a name (the part before the notebook name, or a folder name) belongs to, or None."""
    text = text.strip(_SEPARATORS)
    if match := _BLACKBOARD.fullmatch(text):
        try:
            when = datetime.strptime(match["time"], "%Y-%m-%d-%H-%M-%S")
        except ValueError:
            when = None
        return _Who(safe_id(match["student"]), "Blackboard", when=when)
    if match := _BRIGHTSPACE.fullmatch(text):
        return _Who(safe_id(match["student"]), "Brightspace", when=_brightspace_time(match))
    if match := _CANVAS.fullmatch(text):
        return _Who(safe_id(match["student"]), "Canvas", lms_number=match["user"],
                    upload=int(match["upload"]), late=bool(match["late"]))
    if match := _MOODLE.fullmatch(text):
        return _Who(safe_id(match["student"]), "Moodle", lms_number=match["participant"])
    return _Who(safe_id(text), "plain")


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
    numbers = [int(re.sub(r"\D", "", w)) for w in decorations if re.search(r"\d", w)]
    others = [w for w in words if not _DECORATION.fullmatch(w)]
    late = any(w.lower() == "late" for w in decorations)
    return others, late, numbers[-1] if numbers else 0


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


def _row(file, status, detail, student_id="", assignment="", notebook="", destination=""):
    return ImportRow(file.source, student_id, assignment, notebook, destination, status, detail)


def _classify(file, order, notebooks):
    """A _Candidate for import, or the final ImportRow of a file that cannot be imported."""
    if file.problem:
        return _row(file, "unmatched" if file.source.lower().endswith(".ipynb") else "not_a_notebook",
                    file.problem)
    name = file.parts[-1]
    stem, extension = os.path.splitext(name)
    if extension.lower() != ".ipynb":
        return _row(file, "not_a_notebook", "not a .ipynb file")
    hidden = [p for p in file.parts if p.startswith(".") or p == "__MACOSX"]
    if hidden:
        return _row(file, "unmatched", f"hidden or system file ({hidden[0]}), not a submission")
    found = _find_notebook(stem, file.parts[:-1], notebooks)
    if found is None:
        expected = ", ".join(sorted({f"{n}.ipynb" for _, _, n in notebooks}))
        return _row(file, "unmatched", f"no notebook of the course in the name; expected one of {expected}")
    if isinstance(found, str):
        return _row(file, "unmatched", found)
    assignment, notebook, start, end = found
    others, late, number = _read_suffix(stem[end:])
    notes = []
    who = _read_student(stem[:start])
    where = "file name"
    if not who.student_id and others:
        who, where, others = _Who(safe_id("_".join(others)), "plain"), "file name, after the notebook name", []
    if not who.student_id:
        who, where = _student_from_folders(file.parts[:-1], notebooks)
    if not who.student_id:
        return _row(file, "unmatched", f"found {notebook} but no student id in the name or its folders",
                    assignment=assignment, notebook=notebook)
    notes.append(f"{who.pattern} {where}")
    if late or who.late:
        notes.append("marked late")
    if others:
        notes.append("ignored after the notebook name: " + " ".join(others))
    return _Candidate(file, order, who.student_id, assignment, notebook, who,
                      (who.upload, number), notes)


def _student_from_folders(folders, notebooks):
    names = {_key(name) for _, assignment, notebook in notebooks for name in (assignment, notebook)}
    for folder in reversed(folders):
        if _key(folder) in names:
            continue
        who = _read_student(folder)
        if who.student_id:
            return who, f"folder name {folder!r}"
    return _Who("", "plain"), ""


def _tell_apart_namesakes(candidates):
    """Two students of one assignment with one id but different LMS numbers get their numbers appended."""
    numbers = {}
    for c in candidates:
        if c.who.lms_number:
            numbers.setdefault((c.student_id, c.assignment), set()).add(c.who.lms_number)
    for c in candidates:
        if len(numbers.get((c.student_id, c.assignment), ())) > 1:
            c.notes.append(f"several {c.who.pattern} students are called {c.student_id!r}; "
                           f"told apart by their number {c.who.lms_number}")
            c.student_id = safe_id(f"{c.student_id}_{c.who.lms_number}")


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


def _import(files, out_dir, notebooks, overwrite):
    rows, candidates = [], []
    for order, file in enumerate(files):
        result = _classify(file, order, notebooks)
        (candidates if isinstance(result, _Candidate) else rows).append((order, result))
    candidates = [c for _, c in candidates]
    _tell_apart_namesakes(candidates)

    groups = {}
    for c in candidates:
        groups.setdefault((c.student_id, c.assignment, c.notebook), []).append(c)
    kept = []
    for group in groups.values():
        timed = all(c.who.when is not None for c in group)
        latest, *older = _latest_first(group, timed)
        kept.append(latest)
        if older:
            latest.notes.append(f"latest of {len(group)} files")
        for c in older:
            rows.append((c.order, _row(c.file, "duplicate",
                                       f"older attempt; kept {latest.file.source} ({_why_kept(latest, c, timed)})",
                                       c.student_id, c.assignment, c.notebook)))

    existing = [c.destination for c in kept if (out_dir / c.destination).exists()]
    if existing and not overwrite:
        shown = ", ".join(sorted(existing)[:5]) + (f" and {len(existing) - 5} more" if len(existing) > 5 else "")
        raise LmsImportError(f"{out_dir} already holds {len(existing)} of the notebooks to import ({shown}); "
                             "nothing was written. Import into an empty folder, or pass overwrite=True")
    for c in kept:
        target = out_dir / c.destination
        target.parent.mkdir(parents=True, exist_ok=True)
        c.file.copy_to(target)
        rows.append((c.order, _row(c.file, "imported", "; ".join(c.notes),
                                   c.student_id, c.assignment, c.notebook, c.destination)))
    return [row for _, row in sorted(rows, key=lambda item: (item[1].source, item[0]))]
