{#
    A UTC timestamp as wall-clock time in an IANA time zone (a timestamp without zone). The zone
    must be a known name: join it to the `time_zones` seed first, since engines raise on unknown
    zones.
#}

{% macro to_local_time(timestamp, time_zone) -%}
    {{ return(adapter.dispatch('to_local_time', 'connect360')(timestamp, time_zone)) }}
{%- endmacro %}

{% macro default__to_local_time(timestamp, time_zone) -%}
    from_utc_timestamp({{ timestamp }}, {{ time_zone }})
{%- endmacro %}

{% macro duckdb__to_local_time(timestamp, time_zone) -%}
    timezone({{ time_zone }}, {{ timestamp }})
{%- endmacro %}
