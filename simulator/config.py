"""Settings and results of one simulator run."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

DEFAULT_LANDING_DIR = Path("data/landing")
DEFAULT_TRUTH_DIR = Path("data/truth")
MAX_CHUNK_PEOPLE = 50_000
MIN_CHUNK_PEOPLE = 1_000
TARGET_CHUNKS = 8
SHARES = (
    "household_surname_rate",
    "twin_rate",
    "crm_duplicate_rate",
    "second_crm_share",
    "crm_no_contact_rate",
)


def default_landing_dir() -> Path:
    return Path(os.environ.get("CONNECT360_LANDING_DIR", DEFAULT_LANDING_DIR))


def default_truth_dir() -> Path:
    return Path(os.environ.get("CONNECT360_TRUTH_DIR", DEFAULT_TRUTH_DIR))


def default_workers() -> int:
    return max(1, min(2, os.cpu_count() or 1))


@dataclass(frozen=True)
class SimulationConfig:
    """What to simulate and where to write it.

    The rates are shares of landed records (malformed, duplicate, late) or of people (the
    violation rates are per-person chances of one deliberate breach of that consent rule;
    the erasure rate is the per-person chance of asking to be erased).

    How households and CRMs hold people (`simulator.people`, `simulator.crm`):
    `household_surname_rate` is the chance that a household member after the first carries
    the household's surname; `twin_rate` the chance that a household of two or more has twins
    (same surname and birth date). `crm_duplicate_rate` is the chance that a person with a
    contact in the primary CRM is entered again under another id (of those, 15% twice);
    `second_crm_share` the chance that a person active by the day the acquired company's CRM
    is imported (a third into the window) is in it: about a quarter of all people at the
    default; `crm_no_contact_rate` the chance that a contact created from a paper form (in a
    store, or before the window) has no email or phone until the person signs up online.
    """

    people: int = 5000
    days: int = 90
    start: date = date(2026, 1, 1)
    seed: int = 360
    landing_dir: Path = field(default_factory=default_landing_dir)
    truth_dir: Path = field(default_factory=default_truth_dir)
    workers: int = field(default_factory=default_workers)
    progress: bool = True
    overwrite: bool = False
    malformed_rate: float = 0.002
    duplicate_rate: float = 0.01
    late_rate: float = 0.02
    violation_rate: float = 0.01
    erasure_rate: float = 0.003
    household_surname_rate: float = 0.8
    twin_rate: float = 0.02
    crm_duplicate_rate: float = 0.07
    second_crm_share: float = 0.4
    crm_no_contact_rate: float = 0.2

    def __post_init__(self) -> None:
        if self.people < 1 or self.days < 1:
            raise ValueError("people and days must be at least 1")
        if self.workers < 1:
            raise ValueError("workers must be at least 1")
        rates = ("malformed_rate", "duplicate_rate", "late_rate", "violation_rate", "erasure_rate")
        for name in rates:
            if not 0.0 <= getattr(self, name) <= 0.5:
                raise ValueError(f"{name} must be between 0 and 0.5")
        for name in SHARES:
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")

    @property
    def end(self) -> date:
        """The first day after the simulated window."""
        return self.start + timedelta(days=self.days)

    @property
    def chunk_people(self) -> int:
        """People per chunk; depends on the population only, so output never depends on workers."""
        size = -(-self.people // TARGET_CHUNKS)
        return max(MIN_CHUNK_PEOPLE, min(MAX_CHUNK_PEOPLE, size))

    def as_dict(self) -> dict[str, object]:
        return {
            "people": self.people,
            "days": self.days,
            "start": self.start.isoformat(),
            "seed": self.seed,
            "malformed_rate": self.malformed_rate,
            "duplicate_rate": self.duplicate_rate,
            "late_rate": self.late_rate,
            "violation_rate": self.violation_rate,
            "erasure_rate": self.erasure_rate,
            **{name: getattr(self, name) for name in SHARES},
            "chunk_people": self.chunk_people,
        }


@dataclass
class SimulationSummary:
    """Counts and timing of a finished run."""

    records: dict[str, int]
    files_written: int
    seconds: float
    people: int
    malformed: int
    duplicates: int
    late: int
    violations: dict[str, int]

    @property
    def total_records(self) -> int:
        return sum(self.records.values())

    @property
    def records_per_second(self) -> float:
        return self.total_records / self.seconds if self.seconds > 0 else 0.0
