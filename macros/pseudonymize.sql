{#
    A pseudonymous key for a personal identifier: a keyed hash, never a bare one, so nobody can
    recompute it from a guessed email or phone without the key.

    sha256(key || '|' || kind || '|' || value) as lowercase hex; NULL for NULL values, because
    both engines' concatenations below return NULL when any part is NULL.
    The key is read from restricted.pseudonym_key (written by the Dagster asset
    restricted/pseudonym_key from CONNECT360_PSEUDONYM_KEY), so it appears in no compiled SQL,
    log or docs page. `kind` names what the value is ('email', 'phone', 'handle'...), so equal
    strings of different kinds never share a key; it may also be a SQL expression that yields
    the kind (a consent subject's type). Values on the identity blocklist (placeholder emails,
    all-zero phones: macros/identity_blocklist.sql) get no key: NULL, as if absent.
#}

{% macro pseudonymize(expression, kind) -%}
    {%- set known_kinds = ['email', 'phone', 'handle', 'user_id', 'crm_id', 'anonymous_id'] -%}
    {%- set is_known = kind in known_kinds -%}
    {%- set kind_sql = "'" ~ kind ~ "'" if is_known else kind -%}
    {{ adapter.dispatch('keyed_hash', 'connect360')(
        "(select pseudonym_key from " ~ source('restricted', 'pseudonym_key') ~ ")",
        kind_sql,
        connect360.unless_blocked(expression, kind if is_known else kind_sql, not is_known),
    ) }}
{%- endmacro %}

{% macro default__keyed_hash(key, kind, value) -%}
    sha2(concat({{ key }}, '|', {{ kind }}, '|', {{ value }}), 256)
{%- endmacro %}

{% macro duckdb__keyed_hash(key, kind, value) -%}
    sha256({{ key }} || '|' || {{ kind }} || '|' || {{ value }})
{%- endmacro %}
