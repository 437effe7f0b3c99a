"""Serve the Data Docs' scripts, styles and fonts from the site itself, so it works offline.

Great Expectations renders pages that load jQuery, Bootstrap, bootstrap-table and the rest from
public CDNs; without internet the index then lists no validation and the validation pages cannot
be reached from it. Governance reviewers read the docs on machines without internet, so:

- ``python -m orchestration.quality.data_docs`` (run by the install step) downloads each library
  below from the npm registry at its pinned version, checks the tarball against the pinned
  ``integrity`` (the SHA-512 the registry publishes, as ``npm ci`` checks a lockfile), and keeps
  the files the pages use under ``<environment>/share/connect360/data-docs``. Nothing of them is
  kept in the repository.
- ``localize(site)``, after every build, copies them into ``<site>/static/vendor/`` and points
  every page at the copies with relative paths (the Great Expectations logo, fetched from its
  web-assets bucket, at the copy Great Expectations ships in ``static/images``, and the favicon,
  which a validation page links one folder short, at its place).

``CONNECT360_NPM_REGISTRY`` names another registry (a mirror); the integrity check still holds.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import os
import re
import shutil
import sys
import tarfile
import tempfile
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REGISTRY_VARIABLE = "CONNECT360_NPM_REGISTRY"
DEFAULT_REGISTRY = "https://registry.npmjs.org"
#: Where the install step keeps the libraries: in the environment it installs, not the repository.
INSTALL_DIR = Path(sys.prefix) / "share" / "connect360" / "data-docs"
#: Where a site keeps its copies, relative to the site's root.
SITE_VENDOR_DIR = Path("static") / "vendor"
#: The bucket the Great Expectations templates load their logos from.
GE_IMAGES_URL = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/"
#: Its images, by the copy Great Expectations ships under ``static/images`` (the dark-mode logo
#: is not shipped: the ordinary one stands in for it).
GE_IMAGES = {"logo-long.png": "logo-long.png", "full_logo_dark.png": "logo-long.png"}
#: A file written last into each installed library or site copy: the integrity it was made from.
_MARKER = ".integrity"


@dataclass(frozen=True)
class Library:
    """One npm package the pages load, and the CDN addresses the templates load it from."""

    package: str
    version: str
    #: The tarball's ``dist.integrity`` as the npm registry publishes it.
    integrity: str
    #: CDN address in the templates -> the file of the package it serves.
    served: dict[str, str]
    #: Folders of the package a served file reads at run time (Font Awesome's fonts).
    folders: tuple[str, ...] = field(default=())

    @property
    def directory(self) -> str:
        return f"{self.package}@{self.version}"

    @property
    def tarball(self) -> str:
        registry = (os.environ.get(REGISTRY_VARIABLE) or DEFAULT_REGISTRY).rstrip("/")
        name = self.package.rsplit("/", 1)[-1]
        return f"{registry}/{self.package}/-/{name}-{self.version}.tgz"

    def wanted(self, path: str) -> bool:
        return path in self.served.values() or any(
            path.startswith(folder + "/") for folder in self.folders
        )


_UNPKG_TABLE = "https://unpkg.com/bootstrap-table@{version}/dist/"
_FILTER_CONTROL = "extensions/filter-control/bootstrap-table-filter-control"

#: What the Great Expectations 1.x templates load (``render/view/templates``), at the versions
#: they ask for; ``vega@5``, ``vega-lite@5`` and ``vega-embed@6`` at the newest release of each.
LIBRARIES: tuple[Library, ...] = (
    Library(
        "jquery",
        "3.7.1",
        "sha512-m4avr8yL8kmFN8psrbFFFmB/If14iN5o9nw/NgnnM+kybDJpRsAynV2BsfpTYrTRysYUdADVD7CkUUizgkpLfg==",
        {"https://code.jquery.com/jquery-3.7.1.min.js": "dist/jquery.min.js"},
    ),
    Library(
        "popper.js",
        "1.12.9",
        "sha512-s0EEi9xiSCdqz9lV4IiVH5yIZnDX/U1t0tCjB+0jXx9jW8lrR7kOpVupiUg175ogqVoudpDXHF1p6dKATCHMeg==",
        {
            "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": (
                "dist/umd/popper.min.js"
            )
        },
    ),
    Library(
        "bootstrap",
        "4.3.1",
        "sha512-rXqOmH1VilAt2DyPzluTi2blhk17bO7ef+zLLPlWvG494pDxcM234pJ8wTc/6R40UWizAIIMgxjvxZg5kmsbag==",
        {
            "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": (
                "dist/js/bootstrap.min.js"
            ),
            "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": (
                "dist/css/bootstrap.min.css"
            ),
        },
    ),
    Library(
        "bootstrap-table",
        "1.19.1",
        "sha512-WvV+l1AI/C+zThaKmfHmi/IuayVNB0qdFyEhFx1jyZhO0oLtNJNANkCR3rvJf6Dkh72dsLElxpE/bzK9seEQLA==",
        {
            _UNPKG_TABLE.format(version="1.19.1") + "bootstrap-table.min.js": (
                "dist/bootstrap-table.min.js"
            ),
            _UNPKG_TABLE.format(version="1.19.1") + "bootstrap-table.min.css": (
                "dist/bootstrap-table.min.css"
            ),
            _UNPKG_TABLE.format(version="1.19.1") + _FILTER_CONTROL + ".min.js": (
                f"dist/{_FILTER_CONTROL}.min.js"
            ),
            # Some templates ask for the filter control's style of 1.19.0: the style of the
            # 1.19.1 script the pages run serves them.
            _UNPKG_TABLE.format(version="1.19.0") + _FILTER_CONTROL + ".css": (
                f"dist/{_FILTER_CONTROL}.min.css"
            ),
            _UNPKG_TABLE.format(version="1.19.0") + _FILTER_CONTROL + ".min.css": (
                f"dist/{_FILTER_CONTROL}.min.css"
            ),
        },
    ),
    Library(
        "bootstrap-datepicker",
        "1.9.0",
        "sha512-9rYYbaVOheGYxjOr/+bJCmRPihfy+LkLSg4fIFMT9Od8WwWB/MB50w0JO1eBgKUMbb7PFHQD5uAfI3ArAxZRXA==",
        {
            "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/"
            "bootstrap-datepicker.min.js": "dist/js/bootstrap-datepicker.min.js",
            "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/"
            "bootstrap-datepicker.min.css": "dist/css/bootstrap-datepicker.min.css",
        },
    ),
    Library(
        "@forevolve/bootstrap-dark",
        "1.1.0",
        "sha512-A3ucpEpxPoTVO490lZZCfjPXxv832l7mm1IxX3bXyxvgwnPGXDLyh7dWrphXKO8YBAu3EswbBEu3VSW8NRMW3A==",
        {
            "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/"
            "bootstrap-prefers-dark.css": "dist/css/bootstrap-prefers-dark.css"
        },
    ),
    Library(
        "@fortawesome/fontawesome-free",
        "6.6.0",
        "sha512-60G28ke/sXdtS9KZCpZSHHkCbdsOGEhIUGlwq6yhY74UpTiToIh8np7A8yphhM4BWsvNFtIvLpi4co+h9Mr9Ow==",
        {
            "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": (
                "css/all.min.css"
            )
        },
        folders=("webfonts",),
    ),
    Library(
        "vega",
        "5.33.1",
        "sha512-1fArfVDUqVbb5z8n+/nVQb+VNBzx8svY6CrsyTK4Ujm4yrd9I1auoKxBAPXLCavY1LcrbHUskQbGUP8gXOzyQw==",
        {"https://cdn.jsdelivr.net/npm/vega@5": "build/vega.min.js"},
    ),
    Library(
        "vega-lite",
        "5.23.0",
        "sha512-l4J6+AWE3DIjvovEoHl2LdtCUkfm4zs8Xxx7INwZEAv+XVb6kR6vIN1gt3t2gN2gs/y4DYTs/RPoTeYAuEg6mA==",
        {"https://cdn.jsdelivr.net/npm/vega-lite@5": "build/vega-lite.min.js"},
    ),
    Library(
        "vega-embed",
        "6.29.0",
        "sha512-PmlshTLtLFLgWtF/b23T1OwX53AugJ9RZ3qPE2c01VFAbgt3/GSNI/etzA/GzdrkceXFma+FDHNXUppKuM0U6Q==",
        {"https://cdn.jsdelivr.net/npm/vega-embed@6": "build/vega-embed.min.js"},
    ),
)


class IntegrityError(RuntimeError):
    """A downloaded tarball is not the one pinned."""


def check_integrity(data: bytes, integrity: str) -> None:
    algorithm, _, expected = integrity.partition("-")
    if algorithm != "sha512":
        raise ValueError(f"unsupported integrity {integrity!r}: pin the sha512 the registry gives")
    actual = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if actual != expected:
        raise IntegrityError(f"expected {integrity}, got sha512-{actual}")


def _installed(directory: Path, integrity: str) -> bool:
    marker = directory / _MARKER
    return marker.exists() and marker.read_text() == integrity


def _extract(library: Library, data: bytes, target: Path) -> None:
    """Write the files of ``library`` the pages use from its tarball into ``target``."""
    written = set()
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for member in archive.getmembers():
            # npm packs every file under `package/`.
            path = member.name.removeprefix("package/")
            if not member.isfile() or not library.wanted(path) or ".." in Path(path).parts:
                continue
            destination = target / path
            destination.parent.mkdir(parents=True, exist_ok=True)
            source = archive.extractfile(member)
            assert source is not None, member.name
            destination.write_bytes(source.read())
            written.add(path)
    missing = set(library.served.values()) - written
    if missing:
        raise FileNotFoundError(f"{library.directory} has no {', '.join(sorted(missing))}")


def install(directory: Path = INSTALL_DIR, *, quiet: bool = False) -> list[str]:
    """Download, check and unpack every library not installed yet; the ones installed now."""
    installed = []
    for library in LIBRARIES:
        target = directory / library.directory
        if _installed(target, library.integrity):
            continue
        with urllib.request.urlopen(library.tarball, timeout=60) as response:
            data = response.read()
        try:
            check_integrity(data, library.integrity)
        except IntegrityError as error:
            raise IntegrityError(f"{library.tarball}: {error}") from None
        # Unpacked aside and moved into place, so that two installs at once never mix files.
        target.parent.mkdir(parents=True, exist_ok=True)
        unpacked = Path(tempfile.mkdtemp(prefix=".unpacking-", dir=target.parent))
        try:
            _extract(library, data, unpacked)
            (unpacked / _MARKER).write_text(library.integrity)
            shutil.rmtree(target, ignore_errors=True)
            unpacked.rename(target)
        except OSError:
            if not _installed(target, library.integrity):
                raise
        finally:
            shutil.rmtree(unpacked, ignore_errors=True)
        installed.append(library.directory)
        if not quiet:
            print(f"data docs: installed {library.directory} ({len(data):,} bytes, integrity ok)")
    return installed


def local_paths() -> dict[str, str]:
    """Every CDN address the templates load -> its copy, relative to the site's root."""
    return {
        url: (SITE_VENDOR_DIR / library.directory / path).as_posix()
        for library in LIBRARIES
        for url, path in library.served.items()
    }


def _copy_into(site: Path, source: Path) -> None:
    vendor = site / SITE_VENDOR_DIR
    for library in LIBRARIES:
        target = vendor / library.directory
        if _installed(target, library.integrity):
            continue
        installed = source / library.directory
        if not _installed(installed, library.integrity):
            raise FileNotFoundError(
                f"{library.directory} is not installed under {source}: run "
                "`python -m orchestration.quality.data_docs` (the install step does)"
            )
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(installed, target)


#: A tag that loads something, and its address.
_LOADING_TAG = re.compile(r"<(?:script|link|img)\b[^>]*>", re.IGNORECASE)
_ADDRESS = re.compile(r"""\b(src|href)=(["'])(https?://[^"']+)\2""", re.IGNORECASE)
_CHECKS = re.compile(r"""\s(?:integrity|crossorigin)=(["'])[^"']*\1""", re.IGNORECASE)
_CSS_URL = re.compile(r"""url\((["']?)(https?://[^)"']+)\1\)""")
#: The favicon, which Great Expectations links one folder short from a validation page.
_FAVICON = re.compile(r"""(<link\b[^>]*\bhref=["'])(?:\.{1,2}/)*(static/images/favicon\.ico["'])""")


def _local(url: str, paths: dict[str, str]) -> str | None:
    if url in paths:
        return paths[url]
    if url.startswith(GE_IMAGES_URL):
        name = url.removeprefix(GE_IMAGES_URL).split("?", 1)[0]
        if name in GE_IMAGES:
            return f"static/images/{GE_IMAGES[name]}"
    return None


def localize_page(text: str, to_root: str, paths: dict[str, str]) -> str:
    """``text`` with every script, style and image it loads from a CDN read from the site's
    copy; ``to_root`` leads from the page to the site's root (``""``, ``"../../"``)."""

    def tag(match: re.Match[str]) -> str:
        found = _ADDRESS.search(match.group(0))
        local = _local(found.group(3).replace("&amp;", "&"), paths) if found else None
        if found is None or local is None:
            return match.group(0)
        quote = found.group(2)
        rewritten = _ADDRESS.sub(f"{found.group(1)}={quote}{to_root}{local}{quote}", match[0], 1)
        # The copies are checked at install time; a browser refuses `crossorigin` on a file.
        return _CHECKS.sub("", rewritten)

    return _FAVICON.sub(rf"\g<1>{to_root}\g<2>", _LOADING_TAG.sub(tag, text))


def localize_style(text: str, to_root: str, paths: dict[str, str]) -> str:
    """A style sheet's ``url(...)`` of a CDN or the logo bucket, read from the site's copy."""

    def url(match: re.Match[str]) -> str:
        local = _local(match.group(2), paths)
        return f"url({match.group(1)}{to_root}{local}{match.group(1)})" if local else match[0]

    return _CSS_URL.sub(url, text)


def localize(site: Path, source: Path = INSTALL_DIR) -> int:
    """Copy the libraries into the site and point its pages and styles at them (pages built
    before are localized too, so a site older than this step is mended by the next build).
    Installs what is missing first. Returns how many files changed."""
    try:
        install(source, quiet=True)
    except OSError as error:
        raise RuntimeError(
            f"the Data Docs libraries are not installed and cannot be fetched ({error}): run "
            "`python -m orchestration.quality.data_docs` where the npm registry is reachable"
        ) from error
    _copy_into(site, source)
    paths = local_paths()
    remote = (*paths, GE_IMAGES_URL)
    changed = 0
    for path in [*site.rglob("*.html"), *(site / "static" / "styles").glob("*.css")]:
        text = path.read_text()
        if not any(url in text for url in remote):
            continue
        to_root = "../" * (len(path.relative_to(site).parts) - 1)
        # Pages hold the site's style sheet inline too.
        localized = localize_style(text, to_root, paths)
        if path.suffix == ".html":
            localized = localize_page(localized, to_root, paths)
        if localized != text:
            path.write_text(localized)
            changed += 1
    return changed


def remote_loads(text: str) -> list[str]:
    """The addresses a page or style sheet still loads from the network."""
    found = [
        match.group(3)
        for tag in _LOADING_TAG.finditer(text)
        if (match := _ADDRESS.search(tag.group(0)))
    ]
    return found + [match.group(2) for match in _CSS_URL.finditer(text)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--into", type=Path, default=INSTALL_DIR, help="install folder")
    arguments = parser.parse_args(argv)
    installed = install(arguments.into)
    if not installed:
        print(f"data docs: {len(LIBRARIES)} libraries already installed in {arguments.into}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
