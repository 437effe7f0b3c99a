{#
    Custom schemas are used as they are (staging, marts, reference...), not prefixed with the
    target schema, so BI tools and reviewers see the same schema names on every target.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
