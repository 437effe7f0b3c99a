{#
    One row per source record. The same record id can land again on a later day (webhook
    retries, incremental re-exports, a re-sent file); the copy kept is the last one landed:
    latest landing day, then file, then line. Used as the body of a staging model's
    `deduplicated` CTE:  deduplicated as ({{ latest_landed_copy('renamed', 'event_id') }}),
#}
{% macro latest_landed_copy(relation, key) -%}
    select *
    from {{ relation }}
    qualify row_number() over (
        partition by {{ key }}
        order by _partition_date desc, _source_file desc, _source_line desc
    ) = 1
{%- endmacro %}
