{#
    A phone number in E.164 ("+4420...") as identity resolution compares it, or NULL.

    `region` is a SQL expression giving the ISO country for numbers written without a country
    code (the record's own country where it has one, else var('default_phone_region')).
    Handled: "+" international form, "00" and (in North America) "011" exit codes, the "(0)"
    trunk written inside international numbers, national numbers with a leading trunk "0",
    North American numbers with or without the leading "1". Results outside E.164's 8 to 15
    digits are NULL. Junk numbers ("0000000000") are a matter for the blocklist, not for this.
#}

{% macro calling_code(region) -%}
    case upper({{ region }})
        {%- for country, code in connect360.phone_calling_codes().items() %}
        when '{{ country }}' then '{{ code }}'
        {%- endfor %}
    end
{%- endmacro %}

{% macro phone_calling_codes() -%}
    {{ return({
        'US': '1', 'CA': '1', 'GB': '44', 'IE': '353', 'DE': '49', 'FR': '33', 'NL': '31',
        'BE': '32', 'LU': '352', 'ES': '34', 'PT': '351', 'IT': '39', 'AT': '43', 'CH': '41',
        'DK': '45', 'SE': '46', 'NO': '47', 'FI': '358', 'PL': '48', 'CZ': '420', 'AU': '61',
        'NZ': '64', 'JP': '81', 'SG': '65', 'IN': '91', 'BR': '55', 'MX': '52', 'ZA': '27',
    }) }}
{%- endmacro %}

{% macro digits_only(expression) -%}
    {{ return(adapter.dispatch('digits_only', 'connect360')(expression)) }}
{%- endmacro %}

{% macro default__digits_only(expression) -%}
    regexp_replace({{ expression }}, '[^0-9]', '')
{%- endmacro %}

{% macro duckdb__digits_only(expression) -%}
    regexp_replace({{ expression }}, '[^0-9]', '', 'g')
{%- endmacro %}

{% macro normalize_phone(expression, region) -%}
    {{ return(adapter.dispatch('normalize_phone', 'connect360')(expression, region)) }}
{%- endmacro %}

{% macro duckdb__normalize_phone(expression, region) -%}
    {%- set written = "replace(trim(" ~ expression ~ "), '(0)', '')" -%}
    {%- set digits = connect360.digits_only(written) -%}
    {%- set code = connect360.calling_code(region) -%}
    {%- set international -%}
        case
            when {{ written }} like '+%' then {{ digits }}
            when {{ digits }} like '00%' then substr({{ digits }}, 3)
            when {{ code }} = '1' and {{ digits }} like '011%' then substr({{ digits }}, 4)
            when {{ code }} = '1' and length({{ digits }}) = 11 and {{ digits }} like '1%'
                then {{ digits }}
            when {{ code }} = '1' and length({{ digits }}) = 10 then concat('1', {{ digits }})
            when {{ code }} = '1' then null
            when {{ digits }} like '0%' then concat({{ code }}, substr({{ digits }}, 2))
            else concat({{ code }}, {{ digits }})
        end
    {%- endset -%}
    nullif(regexp_extract(concat('+', {{ international }}), '^[+][0-9]{8,15}$', 0), '')
{%- endmacro %}

{#-
    The same rules on Spark (Databricks), with the digits and the calling code computed once and
    bound to a lambda: written out in full, a few phones make a view's SQL longer than the Hive
    metastore keeps (32,700 characters in its Derby schema). A region outside the list adds no
    calling code, as DuckDB's concat (which skips NULLs) does.
-#}
{% macro default__normalize_phone(expression, region) -%}
    {%- set written = "replace(trim(" ~ expression ~ "), '(0)', '')" -%}
    transform(
        array(named_struct(
            'is_international', {{ written }} like '+%',
            'digits', {{ connect360.digits_only(written) }},
            'code', coalesce({{ connect360.calling_code(region) }}, '')
        )),
        phone_parts -> nullif(regexp_extract(concat('+', case
            when phone_parts.is_international then phone_parts.digits
            when phone_parts.digits like '00%' then substr(phone_parts.digits, 3)
            when phone_parts.code = '1' and phone_parts.digits like '011%'
                then substr(phone_parts.digits, 4)
            when phone_parts.code = '1' and length(phone_parts.digits) = 11
                and phone_parts.digits like '1%' then phone_parts.digits
            when phone_parts.code = '1' and length(phone_parts.digits) = 10
                then concat('1', phone_parts.digits)
            when phone_parts.code = '1' then null
            when phone_parts.digits like '0%'
                then concat(phone_parts.code, substr(phone_parts.digits, 2))
            else concat(phone_parts.code, phone_parts.digits)
        end), '^[+][0-9]{8,15}$', 0), '')
    )[0]
{%- endmacro %}
