{#
    Interval arithmetic on UTC timestamps, the same way on every engine. Whole seconds: the
    difference counts second boundaries crossed, as DuckDB's date_diff does.
#}

{% macro seconds_between(start_timestamp, end_timestamp) -%}
    {{ return(adapter.dispatch('seconds_between', 'connect360')(start_timestamp, end_timestamp)) }}
{%- endmacro %}

{% macro default__seconds_between(start_timestamp, end_timestamp) -%}
    (unix_seconds({{ end_timestamp }}) - unix_seconds({{ start_timestamp }}))
{%- endmacro %}

{% macro duckdb__seconds_between(start_timestamp, end_timestamp) -%}
    date_diff('second', {{ start_timestamp }}, {{ end_timestamp }})
{%- endmacro %}

{#- `seconds` (a whole number, NULL gives NULL) after a timestamp. -#}
{% macro timestamp_add_seconds(timestamp, seconds) -%}
    {{ return(adapter.dispatch('timestamp_add_seconds', 'connect360')(timestamp, seconds)) }}
{%- endmacro %}

{% macro default__timestamp_add_seconds(timestamp, seconds) -%}
    timestamp_micros(unix_micros({{ timestamp }}) + cast({{ seconds }} as bigint) * 1000000)
{%- endmacro %}

{% macro duckdb__timestamp_add_seconds(timestamp, seconds) -%}
    ({{ timestamp }} + to_seconds(cast({{ seconds }} as bigint)))
{%- endmacro %}

{#- The type of the project's UTC timestamps (to_utc's result), for a typed NULL. -#}
{% macro utc_timestamp_type() -%}
    {{ return(adapter.dispatch('utc_timestamp_type', 'connect360')()) }}
{%- endmacro %}

{% macro default__utc_timestamp_type() -%}
    timestamp
{%- endmacro %}

{% macro duckdb__utc_timestamp_type() -%}
    timestamptz
{%- endmacro %}

{#- `days` (a whole number, NULL gives NULL) after a date, as a date. -#}
{% macro date_add_days(date, days) -%}
    {{ return(adapter.dispatch('date_add_days', 'connect360')(date, days)) }}
{%- endmacro %}

{% macro default__date_add_days(date, days) -%}
    date_add({{ date }}, cast({{ days }} as int))
{%- endmacro %}

{% macro duckdb__date_add_days(date, days) -%}
    ({{ date }} + cast({{ days }} as integer))
{%- endmacro %}
