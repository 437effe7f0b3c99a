{#
    Reading fields of a landed record's JSON payload, the same way on every engine.
    Paths are JSONPath strings: '$.context.page.url', '$."smtp-id"'.
    DuckDB reads JSON natively; the default (Spark, Databricks) uses get_json_object.
#}

{% macro json_text(column, path) -%}
    {{ return(adapter.dispatch('json_text', 'connect360')(column, path)) }}
{%- endmacro %}

{% macro default__json_text(column, path) -%}
    get_json_object({{ column }}, '{{ path }}')
{%- endmacro %}

{% macro duckdb__json_text(column, path) -%}
    json_extract_string({{ column }}, '{{ path }}')
{%- endmacro %}

{#- The JSON text of an array or object, kept whole for a later layer to unnest. -#}
{% macro json_array_text(column, path) -%}
    {{ return(adapter.dispatch('json_array_text', 'connect360')(column, path)) }}
{%- endmacro %}

{% macro default__json_array_text(column, path) -%}
    get_json_object({{ column }}, '{{ path }}')
{%- endmacro %}

{% macro duckdb__json_array_text(column, path) -%}
    cast(json_extract({{ column }}, '{{ path }}') as varchar)
{%- endmacro %}

{% macro json_int(column, path) -%}
    try_cast({{ connect360.json_text(column, path) }} as bigint)
{%- endmacro %}

{% macro json_double(column, path) -%}
    try_cast({{ connect360.json_text(column, path) }} as double)
{%- endmacro %}

{% macro json_decimal(column, path, precision=18, scale=2) -%}
    try_cast({{ connect360.json_text(column, path) }} as decimal({{ precision }}, {{ scale }}))
{%- endmacro %}

{#- true/false as JSON booleans or as the strings CSV exports write ("true", "1", "yes"). -#}
{% macro json_bool(column, path) -%}
    case lower(trim({{ connect360.json_text(column, path) }}))
        when 'true' then true
        when '1' then true
        when 'yes' then true
        when 'false' then false
        when '0' then false
        when 'no' then false
    end
{%- endmacro %}
