{#
    A street line as probabilistic matching compares it: cleaned like a name but keeping digits
    ("162 Elm St." -> "162 elm street"), and its last word, the street type, written out the same
    way whatever the form abbreviated it to (st, st., str -> street; ave, av -> avenue...).
    Earlier words are kept as written ("1 St Marks Pl" -> "1 st marks place"): an abbreviation
    there reads the same on both sides of a comparison anyway. NULL when nothing is left.
    Only the cleaning's regular expression differs between engines (DuckDB replaces the first
    match unless told 'g'); the street type is one flat CASE, the same everywhere.
#}

{% macro normalize_address(expression) -%}
    {{ return(adapter.dispatch('normalize_address', 'connect360')(expression)) }}
{%- endmacro %}

{% macro default__normalize_address(expression) -%}
    {{ connect360.unify_street_type(
        "trim(regexp_replace(" ~ connect360.fold_accents('lower(' ~ expression ~ ')')
        ~ ", '[^a-z0-9]+', ' '))"
    ) }}
{%- endmacro %}

{% macro duckdb__normalize_address(expression) -%}
    {{ connect360.unify_street_type(
        "trim(regexp_replace(" ~ connect360.fold_accents('lower(' ~ expression ~ ')')
        ~ ", '[^a-z0-9]+', ' ', 'g'))"
    ) }}
{%- endmacro %}

{#- `cleaned`: words of [a-z0-9] between single spaces. Its last word is the street type. -#}
{% macro unify_street_type(cleaned) -%}
    {%- set last_word = "regexp_extract(" ~ cleaned ~ ", '[a-z0-9]+$', 0)" -%}
    nullif(concat(
        regexp_replace({{ cleaned }}, '[a-z0-9]+$', ''),
        case {{ last_word }}
            {%- for word, forms in connect360.street_types().items() %}
            {%- for form in forms %}
            when '{{ form }}' then '{{ word }}'
            {%- endfor %}
            {%- endfor %}
            else {{ last_word }}
        end
    ), '')
{%- endmacro %}

{#- Street types and the abbreviations forms write for them (USPS, Royal Mail, German). -#}
{% macro street_types() -%}
    {{ return({
        'street': ['st', 'str', 'strasse'],
        'avenue': ['ave', 'av', 'avn'],
        'road': ['rd'],
        'lane': ['ln'],
        'drive': ['dr', 'drv'],
        'boulevard': ['blvd', 'boul', 'bd'],
        'court': ['ct', 'crt'],
        'way': ['wy'],
        'place': ['pl'],
        'square': ['sq'],
        'terrace': ['ter', 'terr'],
        'crescent': ['cres', 'cr'],
        'highway': ['hwy'],
        'parkway': ['pkwy', 'pky'],
        'close': ['cl'],
        'gardens': ['gdns'],
    }) }}
{%- endmacro %}

{#- A postal code as written on an envelope, compared without case, spaces or hyphens. -#}
{% macro normalize_postal_code(expression) -%}
    nullif(upper(replace(replace(trim({{ expression }}), ' ', ''), '-', '')), '')
{%- endmacro %}
