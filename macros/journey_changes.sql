{#
    The journey models that hold one customer's rows (touchpoints, sessions and their customers,
    moment touchpoints, journey moments, attribution paths) are incremental on DuckDB: a run
    deletes the rows of the customers listed in `int_journey_changes` and inserts them again
    from the current inputs, and keeps every other customer's rows as they are.
    `int_journey_changes` lists a customer when anything their rows are made of changed since the
    last complete run of the layer (see its header), so the result equals a full rebuild. On
    Spark they are tables, rebuilt in full.

    The layer's models run together (the Dagster job, `dbt run --select
    +path:models/marts/journeys`). After changing a journey model, a journey seed or a journey
    var, rebuild them with `--full-refresh`.
#}
{% macro journey_materialization() -%}
    {{- 'table' if target.type == 'spark' else 'incremental' -}}
{%- endmacro %}


{# Whether this run compares the inputs with the layer's last run (not on a full refresh). #}
{% macro journey_changes_are_compared() -%}
    {{- return(target.type != 'spark' and not flags.FULL_REFRESH) -}}
{%- endmacro %}


{#
    The table a model of this project left on an earlier run, or none: for reading a model's
    previous rows without making it a dependency (it may run after the reader).
#}
{% macro built_relation(model_name) -%}
    {%- if not execute -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set node = graph.nodes.values()
        | selectattr('resource_type', 'equalto', 'model')
        | selectattr('name', 'equalto', model_name)
        | first -%}
    {{- return(connect360.existing_relation(node.database, node.schema, node.alias)) -}}
{%- endmacro %}


{# The customers whose journeys this run rebuilds, as a subquery. #}
{% macro changed_journey_customers() -%}
    select changes.customer_id
    from {{ ref('int_journey_changes') }} as changes
    where changes.customer_id is not null
{%- endmacro %}


{# True for a row (by its alias) whose session subject's sessions this run cuts again. #}
{% macro is_changed_session_subject(row) -%}
    exists (
        select 1
        from {{ ref('int_journey_changes') }} as changes
        where
            changes.session_subject = {{ row }}.session_subject
            and changes.channel = {{ row }}.channel
    )
{%- endmacro %}


{#
    True for a row whose sessions this run cuts: on an incremental run, the changed session
    subjects' (above); on a full build, every row.
#}
{% macro in_this_run_of_sessions(row) -%}
    {%- if connect360.journey_is_incremental() -%}
        {{ connect360.is_changed_session_subject(row) }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{#
    Whether an incremental journey model rebuilds only what changed: its table exists and so does
    the record of what the layer last applied. Without that record (the layer's first run on a
    warehouse built before it), the model rebuilds every row, and its pre-hook empties it first.
#}
{% macro journey_is_incremental() -%}
    {{- return(
        is_incremental() and connect360.built_relation('int_touchpoints_applied') is not none
    ) -}}
{%- endmacro %}


{#
    Pre-hook of an incremental journey model: drop the rows it will rebuild — those `condition`
    selects (default: the changed customers'), or every row when it rebuilds them all.
#}
{% macro delete_rebuilt_rows(condition=none) -%}
    {%- if connect360.journey_is_incremental() -%}
        delete from {{ this }} as rebuilt
        where {{ condition or 'rebuilt.customer_id in (' ~ connect360.changed_journey_customers() ~ ')' }}
    {%- elif is_incremental() -%}
        delete from {{ this }}
    {%- endif -%}
{%- endmacro %}


{# `left` and `right` (aliases) differ in one of `columns`, nulls compared as values. #}
{% macro columns_differ(columns, left, right) -%}
    (
        {%- for column in columns %}
            {{ 'or ' if not loop.first }}{{ left }}.{{ column }} is distinct from {{ right }}.{{ column }}
        {%- endfor %}
    )
{%- endmacro %}


{#
    The sessions this run rebuilds, as a subquery: every session with an event on a changed
    session subject or of a changed customer. A session's customer is one of its events'
    customers, so every session of a changed customer is among them.
#}
{% macro rebuilt_sessions() -%}
    select events.session_id
    from {{ ref('int_sessions_sessionized') }} as events
    where
        events.customer_id in ({{ connect360.changed_journey_customers() }})
        or {{ connect360.is_changed_session_subject('events') }}
{%- endmacro %}


{#
    The sessions of the changed customers, as they are after this run's `int_sessions_stitched`.
    A model calling it only on its incremental path names that model in a `-- depends_on:` hint.
#}
{% macro changed_customers_sessions() -%}
    select stitched.session_id
    from {{ ref('int_sessions_stitched') }} as stitched
    where stitched.customer_id in ({{ connect360.changed_journey_customers() }})
{%- endmacro %}
