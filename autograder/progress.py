"""A progress line for the terminal: counts, rate and time left."""
import sys
import time


class Progress:
    def __init__(self, total, log=print, stream=None, width=28):
        self.total, self.done, self.log, self.width = total, 0, log, width
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self.live = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.last_printed = -1

    def line(self):
        elapsed = time.monotonic() - self.started
        filled = int(self.width * self.done / self.total) if self.total else self.width
        bar = "#" * filled + "." * (self.width - filled)
        text = f"[{bar}] {self.done}/{self.total} notebooks  {_clock(elapsed)} elapsed"
        if 0 < self.done < self.total:
            text += f"  ETA {_clock(elapsed / self.done * (self.total - self.done))}"
        return text

    def step(self, label=""):
        self.done += 1
        if self.live:
            self.tick()
        elif self.done == self.total or self.done * 10 // self.total > self.last_printed:
            self.last_printed = self.done * 10 // self.total
            self.log(self.line())

    def tick(self):
        if self.live and self.total:
            self.stream.write("\r" + self.line())
            self.stream.flush()

    def close(self):
        if self.live and self.total:
            self.stream.write("\r" + self.line() + "\n")
            self.stream.flush()


def _clock(seconds):
    seconds = int(round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s"
