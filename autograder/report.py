"""Write grade tables as CSV and print them for a terminal."""
import csv
from dataclasses import asdict, fields


def write_csv(rows, path, row_type):
    columns = [f.name for f in fields(row_type)]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow(asdict(row))


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def format_summary(summary):
    """A fixed-width table: student, assignment, score, max, percent, status."""
    header = ("student", "assignment", "score", "max", "%", "status")
    lines = [[s.student_id, s.assignment, f"{s.score:g}", f"{s.max_score:g}",
              f"{100 * s.score / s.max_score:.0f}" if s.max_score else "-",
              s.status.replace("_", " ")] for s in summary]
    widths = [max(len(str(row[i])) for row in [header, *lines]) for i in range(len(header))]
    numeric = {2, 3, 4}

    def render(row):
        return "  ".join(str(v).rjust(w) if i in numeric else str(v).ljust(w)
                         for i, (v, w) in enumerate(zip(row, widths))).rstrip()

    return "\n".join([render(header), render(["-" * w for w in widths]), *map(render, lines)])
