"""Data quality and consent enforcement with Great Expectations.

Great Expectations probes pyspark's Spark Connect modules when pyspark is installed, and those
modules end the whole process (``SystemExit``) when imported from a process whose main module has
no file, such as a pytest-xdist worker, taking it for a doctest run without Spark Connect's
dependencies. In such a process the import would exit anyway, so the two modules are marked
missing first: Great Expectations then sees no Spark Connect and goes on.
"""

import sys


def _spark_connect_would_exit() -> bool:
    main = sys.modules.get("__main__")
    return (
        main is not None
        and getattr(main, "__spec__", None) is None
        and not hasattr(main, "__file__")
        and not hasattr(sys, "ps1")
    )


if _spark_connect_would_exit():
    for _module in ("pyspark.sql.connect.dataframe", "pyspark.sql.connect.session"):
        sys.modules.setdefault(_module, None)  # type: ignore[arg-type]
