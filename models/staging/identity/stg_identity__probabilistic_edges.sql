{#-
    The record pairs the probabilistic matcher (Dagster asset identity/probabilistic_edges)
    scored at or above its threshold, as the identity graph reads them. The Python asset writes
    the source between dbt models, so it may not exist yet: until it does, this is empty.
-#}
{%- set edges = source('identity', 'probabilistic_edges') -%}
{%- set written = connect360.existing_relation(
    edges.database, edges.schema, edges.identifier
) -%}
{%- set text = dbt.type_string() -%}

with

source as (
    {%- if written is not none %}
        select * from {{ edges }}
    {%- else %}
        select
            cast(null as {{ text }}) as record_id_l,
            cast(null as {{ text }}) as record_id_r,
            cast(null as double) as match_probability
        where 1 = 0
    {%- endif %}
),

final as (
    select
        record_id_l,
        record_id_r,
        match_probability
    from source
)

select * from final
