{#
    A street line as probabilistic matching compares it: cleaned like a name but keeping digits
    ("162 Elm St." -> "162 elm street"), with every street-type word written out the same way
    whatever the form abbreviated it to (st, st., str -> street; ave, av -> avenue...). Words are
    rewritten wherever they stand, so "St Marks Pl" becomes "street marks place" on both sides of
    a comparison alike. NULL when nothing is left. Only the regular expression call differs
    between engines (DuckDB replaces the first match unless told 'g').
#}

{% macro normalize_address(expression) -%}
    {{ return(adapter.dispatch('normalize_address', 'connect360')(expression)) }}
{%- endmacro %}

{% macro default__normalize_address(expression) -%}
    {{ connect360.unify_street_words(
        "regexp_replace(" ~ connect360.fold_accents('lower(' ~ expression ~ ')')
        ~ ", '[^a-z0-9]+', ' ')"
    ) }}
{%- endmacro %}

{% macro duckdb__normalize_address(expression) -%}
    {{ connect360.unify_street_words(
        "regexp_replace(" ~ connect360.fold_accents('lower(' ~ expression ~ ')')
        ~ ", '[^a-z0-9]+', ' ', 'g')"
    ) }}
{%- endmacro %}

{#-
    `cleaned` holds words of [a-z0-9] between spaces. With every word between spaces of its own
    (" 1  st  st "), each abbreviation is a plain " abbreviation " substring, even twice in a row:
    no regular expression, so the rewrite is the same on every engine.
-#}
{% macro unify_street_words(cleaned) -%}
    {%- set sql = namespace(text="concat(' ', replace(trim(" ~ cleaned ~ "), ' ', '  '), ' ')") -%}
    {%- for word, forms in connect360.street_words().items() -%}
        {%- for form in forms -%}
            {%- set sql.text = "replace(" ~ sql.text ~ ", ' " ~ form ~ " ', ' " ~ word ~ " ')" -%}
        {%- endfor -%}
    {%- endfor -%}
    nullif(trim(replace({{ sql.text }}, '  ', ' ')), '')
{%- endmacro %}

{#- Street-type words and the abbreviations forms write for them (USPS, Royal Mail, German). -#}
{% macro street_words() -%}
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
        'apartment': ['apt'],
        'suite': ['ste'],
    }) }}
{%- endmacro %}

{#- A postal code as written on an envelope, compared without case, spaces or hyphens. -#}
{% macro normalize_postal_code(expression) -%}
    nullif(upper(replace(replace(trim({{ expression }}), ' ', ''), '-', '')), '')
{%- endmacro %}
