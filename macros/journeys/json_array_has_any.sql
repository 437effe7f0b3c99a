{#
    Reading JSON arrays kept whole by staging (tags_json, transactions_json...), the same way on
    every engine. Comparisons are case-insensitive: the JSON text is lower-cased first, so a
    `field` is written in lower case.
#}

{#-
    True when the array holds one of `values` (a list of codes); with `field`, when one of its
    elements (objects) has one of them at that field. False for NULL or an empty array.
-#}
{% macro json_array_has_any(column, values, field=none) -%}
    {{ return(adapter.dispatch('json_array_has_any', 'connect360')(column, values, field)) }}
{%- endmacro %}

{% macro default__json_array_has_any(column, values, field=none) -%}
    coalesce(exists(
        from_json(lower({{ column }}), 'array<string>'),
        json_element -> {{ connect360.spark_json_element(field) }}
            in ({{ connect360.string_literals(values) }})
    ), false)
{%- endmacro %}

{% macro duckdb__json_array_has_any(column, values, field=none) -%}
    coalesce(list_has_any(
        json_extract_string(lower({{ column }}), '$[*]{{ "." ~ field if field }}'),
        [{{ connect360.string_literals(values) }}]
    ), false)
{%- endmacro %}

{#- The smallest non-null value at `field` over the array's elements (objects), as text. -#}
{% macro json_array_min(column, field) -%}
    {{ return(adapter.dispatch('json_array_min', 'connect360')(column, field)) }}
{%- endmacro %}

{% macro default__json_array_min(column, field) -%}
    array_min(transform(
        from_json(lower({{ column }}), 'array<string>'),
        json_element -> {{ connect360.spark_json_element(field) }}
    ))
{%- endmacro %}

{% macro duckdb__json_array_min(column, field) -%}
    list_min(json_extract_string(lower({{ column }}), '$[*].{{ field }}'))
{%- endmacro %}

{#- An array element read by from_json as text, or its `field` when it is an object. -#}
{% macro spark_json_element(field) -%}
    {%- if field -%}
        get_json_object(json_element, {{ connect360.spark_json_path('$.' ~ field) }})
    {%- else -%}
        json_element
    {%- endif -%}
{%- endmacro %}
