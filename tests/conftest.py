"""Run order: the test files whose fixtures take minutes go first, so that with `pytest -n 2
--dist loadfile --no-loadscope-reorder` (the test command; xdist would otherwise order files by
their number of tests) each worker starts on a long file and both finish close together,
instead of one worker starting the Spark build when the other is nearly done."""

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
