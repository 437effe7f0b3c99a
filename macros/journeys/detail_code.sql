{#
    A carrier's or payment gateway's detail, lower-cased, when it is a code (letters, digits and
    underscores, at most 40 characters: 'weather_delay', 'card_declined'); NULL when it is free
    text, which can carry a name or an address and never reaches a mart.
#}

{% macro detail_code(column) -%}
    case
        when
            length(trim({{ column }})) between 1 and 40
            and translate(lower(trim({{ column }})), 'abcdefghijklmnopqrstuvwxyz0123456789_', '')
            = ''
            then lower(trim({{ column }}))
    end
{%- endmacro %}
