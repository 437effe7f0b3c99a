"""The pseudonym key: where it comes from, where it is kept, and that it is never shown."""

import stat

import dagster as dg
import duckdb
import pytest

from orchestration.resources import LandingResource, WarehouseResource
from orchestration.transform.pseudonym_key import (
    KEY_VARIABLE,
    fingerprint,
    pseudonym_key,
    resolve_key,
)


def test_the_environment_key_wins(tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_VARIABLE, "a-production-secret-0123456789")
    assert resolve_key(tmp_path) == (
        "a-production-secret-0123456789",
        f"environment variable {KEY_VARIABLE}",
    )
    assert not (tmp_path / "pseudonym.key").exists()


def test_a_short_environment_key_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_VARIABLE, "short")
    with pytest.raises(ValueError, match="at least 16 characters"):
        resolve_key(tmp_path)


def test_without_the_variable_a_private_key_is_generated_once(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_VARIABLE, raising=False)
    first, origin = resolve_key(tmp_path / "state")
    second, _ = resolve_key(tmp_path / "state")
    path = tmp_path / "state" / "pseudonym.key"
    assert first == second
    assert len(first) == 64
    assert origin == f"generated and kept in {path}"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_asset_writes_the_key_and_shows_only_its_fingerprint(tmp_path, monkeypatch):
    secret = "a-production-secret-0123456789"
    monkeypatch.setenv(KEY_VARIABLE, secret)
    resources = {
        "warehouse": WarehouseResource(path=str(tmp_path / "warehouse.duckdb")),
        "landing": LandingResource(path=str(tmp_path / "landing"), state_path=str(tmp_path)),
    }
    with dg.instance_for_test() as instance:
        result = dg.materialize([pseudonym_key], instance=instance, resources=resources)
        assert result.success
        events = [str(event) for event in result.all_events]
        logs = [str(record.user_message) for record in instance.all_logs(result.run_id)]
    (materialization,) = result.asset_materializations_for_node("restricted__pseudonym_key")
    assert materialization.metadata["key_fingerprint"].value == fingerprint(secret)
    assert not any(secret in text for text in events + logs)
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    stored = connection.execute("select * from restricted.pseudonym_key").fetchall()
    connection.close()
    assert stored == [(secret, fingerprint(secret))]
