{#
    An email address as identity resolution compares it: trimmed, lower-case, and NULL when it
    is not shaped like an address. Provider-specific rewriting (dots or "+tags" in Gmail) is not
    applied: it would merge addresses that other providers treat as different people.
#}
{% macro normalize_email(expression) -%}
    case
        when regexp_full_match(lower(trim({{ expression }})), '[^@\s]+@[^@\s]+\.[^@\s]+')
            then lower(trim({{ expression }}))
    end
{%- endmacro %}
