{{ config(materialized='identity_components', max_component_size=5000) }}

-- The connected components of the identity graph: see macros/materializations/identity_components.sql.
select * from {{ ref('int_identity__links') }}
