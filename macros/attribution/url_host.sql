{#
    The host of a URL, lower case and without a leading "www." ('https://www.Google.com/x' gives
    'google.com'); NULL when the text is no absolute URL. Both engines' regexp_extract take the
    same arguments and give '' when nothing matches.
#}

{% macro url_host(url) -%}
    nullif(
        regexp_replace(
            lower(regexp_extract({{ url }}, '^[A-Za-z][A-Za-z0-9+.-]*://([^/:?#]+)', 1)),
            '^www[.]',
            ''
        ),
        ''
    )
{%- endmacro %}
