{#
    An email address as identity resolution compares it: trimmed, lower-case, and NULL when it
    is not shaped like an address. Provider-specific rewriting (dots or "+tags" in Gmail) is not
    applied: it would merge addresses that other providers treat as different people.
#}
{% macro normalize_email(expression) -%}
    {%- set cleaned = "lower(trim(" ~ expression ~ "))" -%}
    case
        when {{ connect360.matches_fully(cleaned, '[^@ ]+@[^@ ]+[.][^@ ]+') }}
            then {{ cleaned }}
    end
{%- endmacro %}

{#- Whether the whole of `expression` matches the regular expression `pattern`. -#}
{% macro matches_fully(expression, pattern) -%}
    {{ return(adapter.dispatch('matches_fully', 'connect360')(expression, pattern)) }}
{%- endmacro %}

{% macro default__matches_fully(expression, pattern) -%}
    ({{ expression }} rlike '^(?:{{ pattern }})$')
{%- endmacro %}

{% macro duckdb__matches_fully(expression, pattern) -%}
    regexp_full_match({{ expression }}, '{{ pattern }}')
{%- endmacro %}
