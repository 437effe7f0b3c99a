{#- The seconds since midnight of a timestamp's wall-clock time, 0 to 86399. -#}
{% macro second_of_day(timestamp) -%}
    (
        extract(hour from {{ timestamp }}) * 3600
        + extract(minute from {{ timestamp }}) * 60
        + cast(floor(extract(second from {{ timestamp }})) as int)
    )
{%- endmacro %}
