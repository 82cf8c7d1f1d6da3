"""Progress on stderr while a transfer runs, and the list of what could not be mapped."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TextIO


@dataclass
class Report:
    stream: TextIO = field(default_factory=lambda: sys.stderr)
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def progress(self, message: str) -> None:
        self.stream.write(f"{message}\n")
        self.stream.flush()

    def counted(self, collection: str, count: int, what: str = "records") -> None:
        self.counts[collection] = count
        self.progress(f"  {collection}: {count} {what}")

    def problem(self, message: str) -> None:
        self.problems.append(message)
        self.progress(f"  ! {message}")

    def summary(self) -> str:
        total = sum(self.counts.values())
        lines = [f"{total} records in {len(self.counts)} collections."]
        if self.problems:
            lines.append(f"{len(self.problems)} item(s) could not be mapped:")
            lines += [f"  - {p}" for p in self.problems]
        else:
            lines.append("Everything was mapped.")
        return "\n".join(lines)
