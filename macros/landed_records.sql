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
            where {{ day_version_missing('unseen', this) }}
            union
            select staged.{{ key }}
            from {{ this }} as staged
            where {{ day_version_missing('staged', relation) }}
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
        where {{ day_version_missing('staged', relation) }}
    {%- endif -%}
{%- endmacro %}


{# True for a row (by its alias) whose day version is not among `relation`'s. #}
{% macro day_version_missing(row, relation) -%}
    not exists (
        select 1
        from (select distinct _partition_date, _loaded_at from {{ relation }}) as versions
        where
            versions._partition_date = {{ row }}._partition_date
            and versions._loaded_at = {{ row }}._loaded_at
    )
{%- endmacro %}
