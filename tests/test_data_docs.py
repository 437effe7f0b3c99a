"""The Data Docs' libraries: every CDN address the Great Expectations templates load has a local
copy, and a tarball that is not the pinned one is refused. (The site rendered offline in
Chromium is in test_quality.py.)"""

from pathlib import Path

import great_expectations
import pytest

from orchestration.quality.data_docs import (
    LIBRARIES,
    IntegrityError,
    check_integrity,
    local_paths,
    localize_page,
    remote_loads,
)

TEMPLATES = Path(great_expectations.__file__).parent / "render" / "view" / "templates"


def test_every_library_the_templates_load_is_served_locally() -> None:
    loaded = {url for path in TEMPLATES.glob("*.j2") for url in remote_loads(path.read_text())}
    assert loaded, "the templates load nothing from a CDN: check this test's premise"
    assert loaded <= set(local_paths()), loaded - set(local_paths())


def test_a_page_loads_the_copies_by_relative_paths_without_cdn_checks() -> None:
    page = (
        '<script src="https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js" '
        'integrity="sha384-x" crossorigin="anonymous"></script>'
    )
    assert localize_page(page, "../../", local_paths()) == (
        '<script src="../../static/vendor/bootstrap@4.3.1/dist/js/bootstrap.min.js"></script>'
    )


def test_a_tarball_other_than_the_pinned_one_is_refused() -> None:
    jquery = next(library for library in LIBRARIES if library.package == "jquery")
    with pytest.raises(IntegrityError):
        check_integrity(b"not the jquery tarball", jquery.integrity)
