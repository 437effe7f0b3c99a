{#
    A timestamp written as text in any of the forms exports use, as a UTC timestamp:
    ISO 8601 with "Z" or an offset, naive ISO 8601 (read as UTC), RFC 2822 as Twilio writes it
    ("Thu, 24 Aug 2023 05:01:45 +0000"), or unix seconds or milliseconds. NULL when it does not
    parse. The raw loader applies the same rules to each record's event time.
#}

{% macro to_utc(expression) -%}
    {{ return(adapter.dispatch('to_utc', 'connect360')(expression)) }}
{%- endmacro %}

{% macro duckdb__to_utc(expression) -%}
    {%- set value = 'trim(' ~ expression ~ ')' -%}
    {%- set normalized = "regexp_replace(regexp_replace(" ~ value ~ ", '\\s*(GMT|UTC)$', ' +0000'), 'z$', 'Z')" -%}
    case
        when regexp_full_match({{ value }}, '\d{9,10}(\.\d+)?')
            then to_timestamp(cast({{ value }} as double))
        when regexp_full_match({{ value }}, '\d{12,13}')
            then to_timestamp(cast({{ value }} as double) / 1000)
        when regexp_matches({{ value }}, '([Zz]|[+-]\d{2}(:?\d{2})?|\s(GMT|UTC))$')
            then coalesce(
                try_cast({{ normalized }} as timestamptz),
                try_strptime({{ normalized }}, ['%a, %d %b %Y %H:%M:%S %z', '%d %b %Y %H:%M:%S %z'])
            )
        else cast(try_cast({{ value }} as timestamp) as timestamptz)
    end
{%- endmacro %}

{#-
    Spark (Databricks) reads ISO 8601 with an offset by casting, like DuckDB; RFC 2822 with a
    pattern, after dropping the day name (Spark parses no day names). Regular expressions have no
    backslashes: Spark's string literals would unescape them.
-#}
{% macro default__to_utc(expression) -%}
    {%- set value = 'trim(' ~ expression ~ ')' -%}
    {%- set normalized = "regexp_replace(regexp_replace(" ~ value
        ~ ", ' *(GMT|UTC)$', ' +0000'), 'z$', 'Z')" -%}
    case
        when {{ value }} rlike '^[0-9]{9,10}([.][0-9]+)?$'
            then timestamp_seconds(cast({{ value }} as decimal(20, 6)))
        when {{ value }} rlike '^[0-9]{12,13}$' then timestamp_millis(cast({{ value }} as bigint))
        when {{ value }} rlike '([Zz]|[+-][0-9]{2}(:?[0-9]{2})?| (GMT|UTC))$'
            then coalesce(
                try_cast({{ normalized }} as timestamp),
                try_to_timestamp(
                    regexp_replace({{ normalized }}, '^[A-Za-z]{3}, *', ''), 'd MMM yyyy HH:mm:ss Z'
                )
            )
        else try_cast({{ value }} as timestamp)
    end
{%- endmacro %}
