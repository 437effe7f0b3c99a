{#
    The identity blocklist: junk identifier values that forms, tills and SDKs write when the real
    one is missing. A blocked value is treated as absent: it never becomes a pseudonymous key or a
    node of the identity graph, so it can never bridge two people.

    Values are compared after normalization (emails lower-cased and trimmed, phones in E.164).
    Patterns are full-match regular expressions in the subset DuckDB (RE2) and Spark (Java) share,
    written without backslashes (Spark's string literals would unescape them): [+] and [.].
    Override the whole list with the dbt var `identity_blocklist` (same shape), e.g. in
    dbt_project.yml or with `--vars`.
#}

{% macro default_identity_blocklist() -%}
    {{ return({
        'email': {
            'values': [],
            'patterns': [
                '(no-?reply|do-?not-?reply|test|tester|none|null|nobody|noemail|no-?email|asdf|unknown|na|n/a|x+|abc|email|customer|guest)@.*',
                '.*@(localhost|invalid|test|.*[.]invalid|.*[.]test)',
                '.*@asdf[.][a-z.]+',
            ],
        },
        'phone': {
            'values': [],
            'patterns': [
                '[+][0-9]{1,3}0{6,}',
                '[+][0-9]{1,3}(0123456789|1234567890|123456789|987654321)',
                '[+]1[01][0-9]*',
                '[+]15555555555',
            ],
        },
        'user_id': {
            'values': ['0', '-1', 'null', 'none', 'undefined', 'nan', 'anonymous', 'guest', 'test', 'unknown'],
            'patterns': [],
        },
        'anonymous_id': {
            'values': ['null', 'undefined', 'none', '00000000-0000-0000-0000-000000000000'],
            'patterns': [],
        },
        'device_id': {
            'values': ['00000000-0000-0000-0000-000000000000', '0000000000000000', 'unknown', 'null'],
            'patterns': [],
        },
        'crm_id': {'values': ['0', 'null', 'unknown'], 'patterns': []},
        'loyalty_card': {'values': ['0', 'none', 'null'], 'patterns': ['LC0+']},
    }) }}
{%- endmacro %}

{% macro identity_blocklist() -%}
    {{ return(var('identity_blocklist', connect360.default_identity_blocklist())) }}
{%- endmacro %}

{#- A SQL condition: `expression` (already normalized) is a blocked value of `kind`. -#}
{% macro is_blocked_identifier(expression, kind) -%}
    {%- set entry = connect360.identity_blocklist().get(kind, {}) -%}
    {%- set tests = [] -%}
    {%- if entry.get('values') -%}
        {%- set quoted = [] -%}
        {%- for value in entry['values'] -%}
            {%- do quoted.append("'" ~ value | replace("'", "''") ~ "'") -%}
        {%- endfor -%}
        {%- do tests.append("lower(" ~ expression ~ ") in (" ~ quoted | join(', ') ~ ")") -%}
    {%- endif -%}
    {%- if entry.get('patterns') -%}
        {%- set alternatives = [] -%}
        {%- for pattern in entry['patterns'] -%}
            {%- do alternatives.append('(?:' ~ pattern ~ ')') -%}
        {%- endfor -%}
        {%- do tests.append(connect360.matches_fully(expression, alternatives | join('|'))) -%}
    {%- endif -%}
    {%- if tests -%}({{ tests | join(' or ') }}){%- else -%}false{%- endif -%}
{%- endmacro %}

{#-
    `expression`, or NULL when it is a blocked value. `kind` is a kind name, or a SQL expression
    that yields one (a consent subject's type); then every listed kind is tested.
-#}
{% macro unless_blocked(expression, kind, kind_is_sql=false) -%}
    {%- if not kind_is_sql -%}
        {%- set condition = connect360.is_blocked_identifier(expression, kind) -%}
        {%- if condition == 'false' -%}{{ expression }}{%- else -%}
            case when {{ condition }} then null else {{ expression }} end
        {%- endif -%}
    {%- else -%}
        case
            {%- for listed in connect360.identity_blocklist() %}
            when {{ kind }} = '{{ listed }}' and {{ connect360.is_blocked_identifier(expression, listed) }} then null
            {%- endfor %}
            else {{ expression }}
        end
    {%- endif -%}
{%- endmacro %}
