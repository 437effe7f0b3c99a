{#
    Seconds since 1970-01-01 UTC of a timestamp, as a whole number: the portable way to take the
    difference between two timestamps.
#}

{% macro epoch_seconds(timestamp) -%}
    {{ return(adapter.dispatch('epoch_seconds', 'connect360')(timestamp)) }}
{%- endmacro %}

{% macro default__epoch_seconds(timestamp) -%}
    unix_timestamp({{ timestamp }})
{%- endmacro %}

{% macro duckdb__epoch_seconds(timestamp) -%}
    cast(epoch({{ timestamp }}) as bigint)
{%- endmacro %}
