{#
    Reading fields of a landed record's JSON payload, the same way on every engine.
    Paths are JSONPath strings: '$.context.page.url', '$."smtp-id"'.
    DuckDB reads JSON natively; the default (Spark, Databricks) uses get_json_object, whose paths
    write quoted names as ['smtp-id'].
#}

{#- A path as a string literal in get_json_object's dialect: $."smtp-id" becomes $['smtp-id']. -#}
{% macro spark_json_path(path) -%}
    {{ return("'" ~ modules.re.sub('[.]"([^"]*)"', "[\\\\'\\1\\\\']", path) ~ "'") }}
{%- endmacro %}

{% macro json_text(column, path) -%}
    {{ return(adapter.dispatch('json_text', 'connect360')(column, path)) }}
{%- endmacro %}

{% macro default__json_text(column, path) -%}
    get_json_object({{ column }}, {{ connect360.spark_json_path(path) }})
{%- endmacro %}

{% macro duckdb__json_text(column, path) -%}
    json_extract_string({{ column }}, '{{ path }}')
{%- endmacro %}

{#-
    The JSON text of an array or object, kept whole for a later layer to unnest. A path with one
    [*] ('$.tags[*].name') gives the array of what each element has at the rest of the path,
    written as DuckDB writes a list: '["a", "b"]', '[]' when there is none.
-#}
{% macro json_array_text(column, path) -%}
    {{ return(adapter.dispatch('json_array_text', 'connect360')(column, path)) }}
{%- endmacro %}

{#-
    get_json_object alone cannot do [*]: it writes a single match without the brackets. So each
    element of the array is read on its own, wrapped as a one-element array so that the match
    keeps its JSON quoting. JSON nulls are left out, as get_json_object leaves them out.
-#}
{% macro default__json_array_text(column, path) -%}
    {%- if '[*]' not in path -%}
        get_json_object({{ column }}, {{ connect360.spark_json_path(path) }})
    {%- else -%}
        {%- set array_path, element_path = path.split('[*]', 1) -%}
        {%- if element_path == '' or '[*]' in element_path -%}
            {{ exceptions.raise_compiler_error(
                "json_array_text: one [*] followed by a field path is supported, not " ~ path
            ) }}
        {%- endif -%}
        {%- set elements = "from_json(get_json_object(" ~ column ~ ", "
            ~ connect360.spark_json_path(array_path) ~ "), 'array<string>')" -%}
        concat('[', array_join(transform(
            coalesce({{ elements }}, array()),
            json_element -> get_json_object(
                concat('[', json_element, ']'), {{ connect360.spark_json_path('$[*]' ~ element_path) }}
            )
        ), ', '), ']')
    {%- endif -%}
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

{#-
    One row per element of a JSON array, as the element's JSON text: a set-returning expression
    for the select list, `select id, {{ json_array_elements('items') }} as item from t`.
#}
{% macro json_array_elements(column) -%}
    {{ return(adapter.dispatch('json_array_elements', 'connect360')(column)) }}
{%- endmacro %}

{% macro default__json_array_elements(column) -%}
    explode(from_json({{ column }}, 'array<string>'))
{%- endmacro %}

{% macro duckdb__json_array_elements(column) -%}
    unnest(cast(json_extract({{ column }}, '$[*]') as varchar[]))
{%- endmacro %}

{#-
    Like json_array_elements, with each element's position in the array (from 0): two columns
    for the select list, `select id, {{ json_array_elements_with_position('items', 'item',
    'item_position') }} from t`.
#}
{% macro json_array_elements_with_position(column, element, position) -%}
    {{ return(adapter.dispatch('json_array_elements_with_position', 'connect360')(
        column, element, position
    )) }}
{%- endmacro %}

{% macro default__json_array_elements_with_position(column, element, position) -%}
    posexplode(from_json({{ column }}, 'array<string>')) as ({{ position }}, {{ element }})
{%- endmacro %}

{% macro duckdb__json_array_elements_with_position(column, element, position) -%}
    unnest(cast(json_extract({{ column }}, '$[*]') as varchar[])) as {{ element }},
    generate_subscripts(cast(json_extract({{ column }}, '$[*]') as varchar[]), 1) - 1
        as {{ position }}
{%- endmacro %}
