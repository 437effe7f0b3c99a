{#
    A name as a lower-case slug: runs of anything but letters and digits become one underscore,
    with none at either end ("Order Completed" -> "order_completed"). DuckDB replaces every
    match only when told 'g'; Spark always does.
#}

{% macro slug(expression) -%}
    {{ return(adapter.dispatch('slug', 'connect360')(expression)) }}
{%- endmacro %}

{% macro default__slug(expression) -%}
    trim('_' from lower(regexp_replace(trim({{ expression }}), '[^A-Za-z0-9]+', '_')))
{%- endmacro %}

{% macro duckdb__slug(expression) -%}
    trim(lower(regexp_replace(trim({{ expression }}), '[^A-Za-z0-9]+', '_', 'g')), '_')
{%- endmacro %}
