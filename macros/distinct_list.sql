{#
    An aggregate: the distinct non-null values of a text expression, sorted and joined with
    commas ("chat,email,web"), the same in every engine.
#}

{% macro distinct_list(expression) -%}
    {{ return(adapter.dispatch('distinct_list', 'connect360')(expression)) }}
{%- endmacro %}

{% macro default__distinct_list(expression) -%}
    array_join(array_sort(collect_set({{ expression }})), ',')
{%- endmacro %}

{% macro duckdb__distinct_list(expression) -%}
    string_agg(distinct {{ expression }}, ',' order by {{ expression }})
{%- endmacro %}
