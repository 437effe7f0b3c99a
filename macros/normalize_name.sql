{#
    A person's name as probabilistic matching compares it: lower case, accents folded
    ("José" -> "jose"), apostrophes dropped ("O'Rourke" -> "orourke"), every other run of
    punctuation, digits or white space one space ("Delacroix-Ames" -> "delacroix ames"), trimmed,
    and NULL when nothing is left. Both engines fold accents with the same `translate` map (below),
    so a name cleans the same way on DuckDB and Spark; only the regular expression calls differ.
#}

{% macro normalize_name(expression) -%}
    {{ return(adapter.dispatch('normalize_name', 'connect360')(expression)) }}
{%- endmacro %}

{% macro default__normalize_name(expression) -%}
    nullif(trim(regexp_replace(
        {{ connect360.fold_accents('lower(' ~ expression ~ ')') }}, '[^a-z]+', ' '
    )), '')
{%- endmacro %}

{% macro duckdb__normalize_name(expression) -%}
    nullif(trim(regexp_replace(
        {{ connect360.fold_accents('lower(' ~ expression ~ ')') }}, '[^a-z]+', ' ', 'g'
    )), '')
{%- endmacro %}

{#-
    Lower-case Latin letters with diacritics as their base letter, ligatures and eszett spelled
    out, apostrophes removed (translate drops characters that have no counterpart).
-#}
{% macro fold_accents(expression) -%}
    {%- set accented = 'àáâãäåāăąçćčďđèéêëēėęěìíîïīįıñńňòóôõöøōőŕřśšşťţùúûüūůűųýÿžźż' -%}
    {%- set plain = 'aaaaaaaaacccddeeeeeeeeiiiiiiinnnoooooooorrsssttuuuuuuuuyyzzz' -%}
    translate(
        replace(replace(replace({{ expression }}, 'ß', 'ss'), 'æ', 'ae'), 'œ', 'oe'),
        concat('{{ accented }}', chr(39), '’`'),
        '{{ plain }}'
    )
{%- endmacro %}

{#-
    One part of a full name written in one field ("Jane Smith", "SMITH JANE"), before cleaning:
    `part` 'first_word' is the text before the first space, 'other_words' the text after it
    (NULL for a one-word name). Splitting before normalize_name keeps a hyphenated surname whole.
-#}
{% macro full_name_part(expression, part) -%}
    {%- set written = 'trim(' ~ expression ~ ')' -%}
    {%- if part == 'first_word' -%}
        case
            when instr({{ written }}, ' ') > 0
                then substr({{ written }}, 1, instr({{ written }}, ' ') - 1)
            else {{ written }}
        end
    {%- elif part == 'other_words' -%}
        case
            when instr({{ written }}, ' ') > 0
                then substr({{ written }}, instr({{ written }}, ' ') + 1)
        end
    {%- else -%}
        {{ exceptions.raise_compiler_error("full_name_part: part is 'first_word' or 'other_words'") }}
    {%- endif -%}
{%- endmacro %}
