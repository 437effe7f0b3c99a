{#
    Staging tables are incremental: a run parses only the raw records that are new to them.

    The loader replaces a landing day of a stream in one transaction and stamps every row it
    writes with the same `_loaded_at`, so a (landing day, `_loaded_at`) pair names one version
    of one day. A staged row is current while its pair still exists in raw. A run restages:

    - every record id with a copy in a day version the staging table has not seen (new days,
      reloaded days, late files), and
    - every record id whose staged copy came from a day version that no longer exists (its day
      was reloaded, perhaps without that record),

    reading every raw copy of those ids, so `latest_landed_copy` chooses among all of them as a
    full build would. The model's `delete+insert` on its key replaces the old rows. An id left
    with no raw copy at all (its only day was reloaded without it) is deleted afterwards by
    `forget_withdrawn_copies`, the model's post-hook. A full build (`--full-refresh`, the Spark
    target's views, unit tests) reads the whole source.

    Use as the body of a staging model's `source` CTE:
        source as ({{ landed_records(source('web', 'events'), 'event_id') }}),
#}
{% macro landed_records(relation, key) -%}
    {%- if is_incremental() %}
        select landed.*
        from {{ relation }} as landed
        where landed.record_key in (
            select unseen.record_key
            from {{ relation }} as unseen
            where not exists (
                select 1
                from (select distinct _partition_date, _loaded_at from {{ this }}) as seen
                where
                    seen._partition_date = unseen._partition_date
                    and seen._loaded_at = unseen._loaded_at
            )
            union
            select staged.{{ key }}
            from {{ this }} as staged
            where not exists (
                select 1
                from (select distinct _partition_date, _loaded_at from {{ relation }}) as current
                where
                    current._partition_date = staged._partition_date
                    and current._loaded_at = staged._loaded_at
            )
        )
    {%- else %}
        select * from {{ relation }}
    {%- endif %}
{%- endmacro %}


{#
    Post-hook of an incremental staging model: deletes the staged rows whose day version no
    longer exists in raw and that `landed_records` found no other copy for (see above). Nothing
    to do on a full build.
#}
{% macro forget_withdrawn_copies(relation) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} as staged
        where not exists (
            select 1
            from (select distinct _partition_date, _loaded_at from {{ relation }}) as current
            where
                current._partition_date = staged._partition_date
                and current._loaded_at = staged._loaded_at
        )
    {%- endif -%}
{%- endmacro %}
