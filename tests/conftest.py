"""Run order: the test files whose fixtures take minutes go first, so that with `pytest -n 2
--dist loadfile --no-loadscope-reorder` (the test command; xdist would otherwise order files by
their number of tests) each worker starts on a long file and both finish close together,
instead of one worker starting the Spark build when the other is nearly done."""

from pathlib import Path

import pytest

#: Slowest first, by their fixtures' measured time (`--durations` in the test command's output).
_SLOW_FILES = (
    "test_dagster_dev.py",
    "test_spark.py",
    "test_journeys_incremental.py",
    "test_kill_and_recover.py",
    "test_quality_injected.py",
    "test_pipeline.py",
    "test_quality_layers.py",
    "test_identity_accuracy.py",
    "test_staging_incremental.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        name = item.path.name
        return _SLOW_FILES.index(name) if name in _SLOW_FILES else len(_SLOW_FILES)

    items.sort(key=rank)  # a stable sort: each file keeps its own order


#: Where `make demo` and `make dev` keep their run state. The tests work in temporary folders,
#: so `make test` and `make demo` can run in either order on one checkout: a test that read or
#: wrote these would see, or leave behind, the other command's warehouse and runs.
_RUN_STATE = ("data", ".dagster_home")
_REPO_ROOT = Path(__file__).resolve().parents[1]
_STATE_BEFORE = pytest.StashKey[dict[str, tuple[int, int]]]()


def _run_state() -> dict[str, tuple[int, int]]:
    state = {}
    for folder in _RUN_STATE:
        for path in sorted((_REPO_ROOT / folder).rglob("*")):
            if path.is_file():
                stat = path.stat()
                state[str(path.relative_to(_REPO_ROOT))] = (stat.st_size, stat.st_mtime_ns)
    return state


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_STATE_BEFORE] = _run_state()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    before = session.config.stash.get(_STATE_BEFORE, None)
    if before is None:
        return
    after = _run_state()
    changed = sorted(
        path for path in before.keys() | after.keys() if before.get(path) != after.get(path)
    )
    if changed:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print(
            "\nthe tests changed the checkout's run state (they must use temporary folders): "
            + ", ".join(changed[:20])
        )
