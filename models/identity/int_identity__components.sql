{%- set merging_tier = var('identity_match_merging_tier', 6) -%}
{%- set match_tier = var('identity_probabilistic_tier', 13) -%}
{{ config(
    materialized='identity_components',
    max_component_size=5000,
    tiers_not_joining_profiles=connect360.identity_tiers_not_joining_profiles(),
    merging_tiers=[merging_tier],
    types_not_merging=connect360.identity_types_not_merging_on_match('node_type'),
    probabilistic_tiers=[merging_tier, match_tier],
) }}

-- The connected components of the identity graph, built from its links by the materialization
-- in macros/materializations/identity_components.sql.
select
    source_node,
    source_type,
    source_priority,
    source_limited,
    target_node,
    target_type,
    target_priority,
    target_limited,
    tier
from {{ ref('int_identity__links') }}
