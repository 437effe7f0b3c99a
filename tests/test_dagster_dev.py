"""`dagster dev` starts and its UI serves the raw assets in groups, with owners and descriptions."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from orchestration.ingestion.contracts import load_contracts

REPO_ROOT = Path(__file__).resolve().parents[1]
QUERY = """
{ assetNodes { assetKey { path } groupName description pools
  owners { ... on UserAssetOwner { email } } } }
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _query(port: int) -> list[dict] | None:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": QUERY}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            nodes = json.load(response)["data"]["assetNodes"]
    except (OSError, KeyError, TypeError, ValueError):
        return None
    return nodes or None


def _default_signals() -> None:
    """In the child: stop and interrupt as usual. A test process may ignore them (a background
    job ignores SIGINT, and Dagster's in-process runs map SIGTERM to SIGINT's handler), and a
    child inherits ignored signals."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_dagster_dev_serves_the_raw_assets(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO_ROOT / ".dagster_home" / "dagster.yaml", home)
    port = _free_port()
    dagster = Path(sys.prefix) / "bin" / "dagster"
    process = subprocess.Popen(
        [str(dagster), "dev", "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO_ROOT,
        env=os.environ | {"DAGSTER_HOME": str(home)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=_default_signals,  # noqa: PLW1509 - it only resets two signal handlers
    )
    try:
        deadline = time.monotonic() + 120
        nodes = None
        while nodes is None and time.monotonic() < deadline and process.poll() is None:
            time.sleep(2)
            nodes = _query(port)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
    assert nodes is not None, "dagster dev did not serve the asset graph within 120 s"
    by_key = {"/".join(node["assetKey"]["path"]): node for node in nodes}
    for contract in load_contracts():
        node = by_key[f"raw/{contract.stream}"]
        assert node["groupName"] == contract.channel
        assert node["owners"] == [{"email": contract.owner}]
        assert node["description"].startswith(contract.title)
        assert node["pools"] == ["duckdb_warehouse"]
