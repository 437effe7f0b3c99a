{#
    An identifier whose kind is given by another column (a consent subject, an erasure request):
    emails and phones normalized as everywhere else (phones read in the default region), other
    kinds (user_id, crm_id, anonymous_id) as they are.
#}
{% macro normalize_identifier(kind, value) -%}
    case {{ kind }}
        when 'email' then {{ connect360.normalize_email(value) }}
        when 'phone' then {{ connect360.normalize_phone(
            value, "'" ~ var('default_phone_region') ~ "'"
        ) }}
        else {{ value }}
    end
{%- endmacro %}
