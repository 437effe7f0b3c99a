"""Journeys: measuring moments, sessions and funnels against the simulator's ground truth."""

#: dbt arguments selecting the journey layer: its models and everything they are built from,
#: except identity resolution and the restricted schema, which run on their own.
JOURNEY_LAYER = [
    "--select",
    "+path:models/marts/journeys +path:models/intermediate/journeys",
    "--exclude",
    "path:models/identity path:models/restricted",
]
