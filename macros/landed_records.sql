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


{#
    The identity graph's occurrences (one row group per staged record) follow staging the way
    staging follows raw: each row keeps its staged record's day version (`_partition_date`,
    `_loaded_at`), and an incremental run rebuilds only

    - the records of `stream` staged from a day version the model has not seen for that stream
      (new days, reloaded days, late files, a record whose latest copy moved), and
    - the records whose day version is gone from staging (their day was reloaded: they now
      have another copy, or none),

    replacing their rows by `record_id` (`delete+insert`). Rows whose record has no staged copy
    left are deleted afterwards by `forget_unstaged_records`, the model's post-hook (a day is
    reloaded as a whole, so a day version is gone from staging exactly when none of its records
    is staged from it any more).

    `incremental` is `follows_staged_versions()`; otherwise (a first run, a full refresh, the
    Spark target, a table built without day versions or under other rules) every staged
    record is read. Use in place of the staging model's relation:
        from ({{ staged_records(ref('stg_web__events'), 'event_id', 'web__events', incremental) }})
#}
{% macro staged_records(relation, key, stream, incremental) -%}
    {%- if incremental %}
        select staged.*
        from {{ relation }} as staged
        where '{{ stream }}:' || staged.{{ key }} in (
            select '{{ stream }}:' || unseen.{{ key }}
            from {{ relation }} as unseen
            where {{ connect360.day_version_missing(
                'unseen',
                '(select _partition_date, _loaded_at from ' ~ this
                    ~ " where source_stream = '" ~ stream ~ "')",
            ) }}
            union
            select built.record_id
            from {{ this }} as built
            where
                built.source_stream = '{{ stream }}'
                and {{ connect360.day_version_missing('built', relation) }}
        )
    {%- else %}
        select * from {{ relation }}
    {%- endif %}
{%- endmacro %}


{#
    Whether this run of a model built from `staged_records` rebuilds only what staging changed:
    its table exists, keeps the day version of its rows, and every row was built under the
    same rules: `rules_column` holds `rules_version` (a digest of the vars the rows depend on),
    so changing those vars rebuilds every row.
#}
{% macro follows_staged_versions(rules_column, rules_version) -%}
    {%- if not execute or not is_incremental() -%}
        {{- return(false) -}}
    {%- endif -%}
    {%- if lint_branch() is not none -%}
        {{- return(lint_branch()) -}}
    {%- endif -%}
    {%- set names = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
    {%- if '_loaded_at' not in names or '_partition_date' not in names
        or rules_column not in names -%}
        {{- return(false) -}}
    {%- endif -%}
    {%- set other_rules = run_query(
        'select count(*) from (select 1 from ' ~ this ~ ' where ' ~ rules_column
        ~ " is distinct from '" ~ rules_version ~ "' limit 1) as other_rules"
    ).columns[0].values()[0] -%}
    {{- return(other_rules == 0) -}}
{%- endmacro %}


{#
    Post-hook of a model built from `staged_records`: deletes the rows whose day version is no
    longer any staged record's of their stream — the records left with no staged copy (see
    above). The streams are the staging models the model depends on (`stg_<stream>`).
#}
{% macro forget_unstaged_records() -%}
    {%- if is_incremental() -%}
        {%- set staging = [] -%}
        {%- for node in graph.nodes.values() -%}
            {%- if node.unique_id in model.depends_on.nodes and node.name.startswith('stg_') -%}
                {%- do staging.append(node) -%}
            {%- endif -%}
        {%- endfor -%}
        delete from {{ this }} as built
        where not exists (
            select 1
            from (
                {%- for node in staging %}
                    select distinct
                        '{{ node.name[4:] }}' as source_stream,
                        _partition_date,
                        _loaded_at
                    from {{ adapter.get_relation(
                        database=node.database, schema=node.schema, identifier=node.alias
                    ) }}
                    {%- if not loop.last %}
                        union all
                    {%- endif %}
                {%- endfor %}
            ) as versions
            where
                versions.source_stream = built.source_stream
                and versions._partition_date = built._partition_date
                and versions._loaded_at = built._loaded_at
        )
    {%- endif -%}
{%- endmacro %}
