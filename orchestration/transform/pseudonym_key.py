"""The secret behind every pseudonymous key in the warehouse: ``restricted.pseudonym_key``.

dbt's ``pseudonymize`` macro hashes personal identifiers with this key, reading it from the
warehouse so it never appears in compiled SQL, logs or docs. Set ``CONNECT360_PSEUDONYM_KEY`` in
production; the embedded setup generates a random key once and keeps it in the state directory,
so keys stay stable from run to run. Only the key's fingerprint is ever shown.
"""

import hashlib
import os
import secrets
from pathlib import Path

import dagster as dg

from orchestration.resources import LandingResource, WarehouseResource
from orchestration.settings import WAREHOUSE_POOL

KEY_VARIABLE = "CONNECT360_PSEUDONYM_KEY"
MINIMUM_KEY_LENGTH = 16
KEY_FILE = "pseudonym.key"


def resolve_key(state_dir: Path) -> tuple[str, str]:
    """The key and where it came from; a generated key is kept (mode 600) for the next runs."""
    configured = os.environ.get(KEY_VARIABLE)
    if configured is not None:
        if len(configured) < MINIMUM_KEY_LENGTH:
            raise ValueError(f"{KEY_VARIABLE} must be at least {MINIMUM_KEY_LENGTH} characters")
        return configured, f"environment variable {KEY_VARIABLE}"
    path = state_dir / KEY_FILE
    if not path.exists():
        state_dir.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip(), f"generated and kept in {path}"


def fingerprint(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:12]


@dg.asset(
    key=dg.AssetKey(["restricted", "pseudonym_key"]),
    group_name="restricted",
    owners=["privacy-office@connect360.example"],
    pool=WAREHOUSE_POOL,
    kinds={"duckdb", "python"},
    description=(
        "The secret key of every pseudonymous key (keyed hash of emails, phones, handles). "
        f"From {KEY_VARIABLE}, or generated once for the embedded setup."
    ),
)
def pseudonym_key(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, landing: LandingResource
) -> dg.MaterializeResult:
    key, origin = resolve_key(landing.state_root)
    with warehouse.connect() as connection:
        connection.execute("create schema if not exists restricted")
        (exists,) = connection.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'restricted' and table_name = 'pseudonym_key'"
        ).fetchone()
        previous = (
            connection.execute("select key_fingerprint from restricted.pseudonym_key").fetchone()
            if exists
            else None
        )
        connection.execute(
            "create or replace table restricted.pseudonym_key as "
            "select ?::varchar as pseudonym_key, ?::varchar as key_fingerprint",
            [key, fingerprint(key)],
        )
    if previous and previous[0] != fingerprint(key):
        context.log.warning(
            "the pseudonym key changed: every pseudonymous key in the warehouse changes with it"
        )
    if origin.startswith("generated"):
        context.log.warning(f"no {KEY_VARIABLE} set: using a key {origin}")
    return dg.MaterializeResult(
        metadata={"key_fingerprint": fingerprint(key), "key_source": origin.split(" and ")[0]}
    )
