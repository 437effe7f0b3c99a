"""Identity resolution assets that run in Python between dbt models (probabilistic matching)."""
