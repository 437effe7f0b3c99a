{#-
    The sentiment of each social mention as the journey layer reads it (Dagster asset
    sentiment/social_mentions scores the texts of the restricted schema). The Python asset
    writes the source between dbt models, so it may not exist yet (nor on Spark, where it does
    not run): until it does, this is empty and social touchpoints have no sentiment.
-#}
{%- set scores = source('sentiment', 'social_mentions') -%}
{%- set written = connect360.existing_relation(
    scores.database, scores.schema, scores.identifier
) -%}
{%- set text = dbt.type_string() -%}

with

source as (
    {%- if written is not none %}
        select * from {{ scores }}
    {%- else %}
        select
            cast(null as {{ text }}) as record_id,
            cast(null as double) as compound,
            cast(null as {{ text }}) as sentiment
        where 1 = 0
    {%- endif %}
),

final as (
    select
        record_id,
        compound,
        sentiment
    from source
)

select * from final
