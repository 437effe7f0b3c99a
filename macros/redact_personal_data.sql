{#
    Free text that should hold no personal data, with any email address (its `@` plain or
    percent-encoded) or international phone number (`+` plain or percent-encoded, then 8 to 15
    digits) in it replaced by a marker: `[redacted email]`, `[redacted phone]`. For the fields a
    source fills with paths, URLs, campaign tags and names, where a site or a campaign tool
    sometimes puts the visitor's address (an account page's path, an email merge tag left in a
    link). The marker stays, so the record still shows that something was removed
    (the `personal_data_at_source` quality suite lists such records). DuckDB replaces every
    match only when told 'g'; Spark always does.
#}

{% macro redact_personal_data(expression) -%}
    {{ return(adapter.dispatch('redact_personal_data', 'connect360')(expression)) }}
{%- endmacro %}

{% macro default__redact_personal_data(expression) -%}
    regexp_replace(
        regexp_replace({{ expression }}, '{{ connect360.personal_data_email_pattern() }}', '[redacted email]'),
        '{{ connect360.personal_data_phone_pattern() }}',
        '[redacted phone]'
    )
{%- endmacro %}

{% macro duckdb__redact_personal_data(expression) -%}
    regexp_replace(
        regexp_replace({{ expression }}, '{{ connect360.personal_data_email_pattern() }}', '[redacted email]', 'g'),
        '{{ connect360.personal_data_phone_pattern() }}',
        '[redacted phone]',
        'g'
    )
{%- endmacro %}

{% macro personal_data_email_pattern() -%}
    [A-Za-z0-9._%+-]+(@|%40)[A-Za-z0-9-]+([.][A-Za-z0-9-]+)*[.][A-Za-z]{2,}
{%- endmacro %}

{% macro personal_data_phone_pattern() -%}
    ([+]|%2[Bb])[1-9][0-9]{7,14}
{%- endmacro %}
