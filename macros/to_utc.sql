{#
    A timestamp written as text in any of the forms exports use, as a UTC timestamp, by the rules
    the raw loader reads each record's event time with (orchestration/ingestion/validation.py):
    ISO 8601 with "Z" or a UTC offset of at most 14 hours, naive ISO 8601 (read as UTC), a time
    followed by an abbreviation of the var time_zone_abbreviations ("PST") or by an IANA name
    ("America/New_York"), RFC 2822 as Twilio writes it ("Thu, 24 Aug 2023 05:01:45 +0000"), or
    unix seconds or milliseconds. NULL when it does not parse, and when a word after the time is
    no listed abbreviation (CST, IST: ambiguous) or a number of hours is no real offset.
#}

{% macro to_utc(expression) -%}
    {{ return(adapter.dispatch('to_utc', 'connect360')(expression)) }}
{%- endmacro %}

{#- The var's abbreviation -> offset map, built from two lists in the target's dialect. -#}
{% macro time_zone_abbreviation_map(function, open, close) -%}
    {%- set names = var('time_zone_abbreviations').keys() | map('upper') | sort -%}
    {%- set offsets = {} -%}
    {%- for name, offset in var('time_zone_abbreviations').items() -%}
        {%- do offsets.update({name | upper: offset}) -%}
    {%- endfor -%}
    {{ function }}({{ open }}'{{ names | join("', '") }}'{{ close }}, {{ open }}
        {%- for name in names %}'{{ offsets[name] }}'{{ ', ' if not loop.last }}{% endfor -%}
    {{ close }})
{%- endmacro %}

{% macro duckdb__to_utc(expression) -%}
    {%- set value = 'trim(' ~ expression ~ ')' -%}
    {%- set word = "regexp_extract(" ~ value ~ ", '[0-9.]\\s*([A-Za-z]([A-Za-z_/][A-Za-z0-9_/+:-]*)?)$', 1)" -%}
    {%- set word_offset = '(' ~ time_zone_abbreviation_map('map', '[', ']') ~ ')[upper(' ~ word ~ ')]' -%}
    {%- set offset_form = 'case when ' ~ word_offset ~ ' is not null then rtrim(left(' ~ value
        ~ ', length(' ~ value ~ ') - length(' ~ word ~ "))) || ' ' || " ~ word_offset
        ~ ' else ' ~ value ~ ' end' -%}
    {%- set offset_pattern = "'\\d:\\d{2}(:\\d{2}([.,]\\d+)?)?\\s*([+-])(\\d{2}):?(\\d{2})?$'" -%}
    {%- set hours = 'coalesce(try_cast(regexp_extract(' ~ offset_form ~ ', ' ~ offset_pattern ~ ', 4) as int), 0)' -%}
    {%- set minutes = 'coalesce(try_cast(regexp_extract(' ~ offset_form ~ ', ' ~ offset_pattern ~ ', 5) as int), 0)' -%}
    case
        when regexp_full_match({{ value }}, '\d{9,10}(\.\d+)?')
            then to_timestamp(cast({{ value }} as double))
        when regexp_full_match({{ value }}, '\d{12,13}')
            then to_timestamp(cast({{ value }} as double) / 1000)
        when {{ word }} != '' and {{ word_offset }} is null and regexp_full_match({{ word }}, '[A-Za-z]+')
            then null
        when {{ word }} != '' and {{ word_offset }} is null then try_cast({{ value }} as timestamptz)
        when regexp_matches({{ offset_form }}, {{ offset_pattern }})
            then case when {{ hours }} * 60 + {{ minutes }} <= 840 and {{ minutes }} < 60 then coalesce(
                try_cast(regexp_replace({{ offset_form }}, '\s+([+-]\d{2}(:?\d{2})?)$', '\1') as timestamptz),
                try_strptime({{ offset_form }}, ['%a, %d %b %Y %H:%M:%S %z', '%d %b %Y %H:%M:%S %z'])
            ) end
        when not regexp_matches({{ value }}, '\d$') then null
        else cast(try_cast({{ value }} as timestamp) as timestamptz)
    end
{%- endmacro %}

{#-
    Spark (Databricks) reads ISO 8601 with an offset or a zone name by casting, like DuckDB; RFC
    2822 with a pattern, after dropping the day name (Spark parses no day names). Regular
    expressions have no backslashes: Spark's string literals would unescape them. Each part is
    computed once and bound to a lambda variable (transform over a one-element array): a staging
    view's text must fit the metastore's 32,700 characters, and a part written out at each use
    (the abbreviation map five times over) does not.
-#}
{% macro default__to_utc(expression) -%}
    {%- set offset_pattern = "'[0-9]:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)? *([+-])([0-9]{2}):?([0-9]{2})?$'" -%}
    transform(array(trim({{ expression }})), utc_text -> transform(
        array(regexp_extract(utc_text, '[0-9.] *([A-Za-z]([A-Za-z_/][A-Za-z0-9_/+:-]*)?)$', 1)),
        utc_word -> transform(
            array(element_at({{ time_zone_abbreviation_map('map_from_arrays', 'array(', ')') }}, upper(utc_word))),
            utc_word_offset -> transform(
                array(case
                    when utc_word_offset is not null
                        then concat(rtrim(left(utc_text, length(utc_text) - length(utc_word))), ' ', utc_word_offset)
                    else utc_text
                end),
                utc_form -> case
                    when utc_text rlike '^[0-9]{9,10}([.][0-9]+)?$'
                        then timestamp_seconds(cast(utc_text as decimal(20, 6)))
                    when utc_text rlike '^[0-9]{12,13}$' then timestamp_millis(cast(utc_text as bigint))
                    when utc_word != '' and utc_word_offset is null and utc_word rlike '^[A-Za-z]+$' then null
                    when utc_word != '' and utc_word_offset is null then try_cast(utc_text as timestamp)
                    when utc_form rlike {{ offset_pattern }}
                        then case
                            when coalesce(try_cast(nullif(regexp_extract(utc_form, {{ offset_pattern }}, 4), '') as int), 0) * 60
                                + coalesce(try_cast(nullif(regexp_extract(utc_form, {{ offset_pattern }}, 5), '') as int), 0) <= 840
                                and coalesce(try_cast(nullif(regexp_extract(utc_form, {{ offset_pattern }}, 5), '') as int), 0) < 60
                                then coalesce(
                                    try_cast(regexp_replace(utc_form, ' +([+-][0-9]{2}(:?[0-9]{2})?)$', '$1') as timestamp),
                                    try_to_timestamp(
                                        regexp_replace(utc_form, '^[A-Za-z]{3}, *', ''), 'd MMM yyyy HH:mm:ss Z'
                                    ),
                                    try_to_timestamp(
                                        regexp_replace(utc_form, '^[A-Za-z]{3}, *', ''), 'd MMM yyyy HH:mm:ss XXX'
                                    )
                                )
                        end
                    when not utc_text rlike '[0-9]$' then null
                    else try_cast(utc_text as timestamp)
                end
            )[0]
        )[0]
    )[0])[0]
{%- endmacro %}
