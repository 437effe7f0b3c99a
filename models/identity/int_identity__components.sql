{{ config(
    materialized='identity_components',
    max_component_size=5000,
    tiers_not_joining_profiles=connect360.identity_tiers_not_joining_profiles(),
) }}

-- The connected components of the identity graph: see macros/materializations/identity_components.sql.
select * from {{ ref('int_identity__links') }}
