{#
    The identifier types of the identity graph, strongest first.

    `priority` orders trust: 1 is an account id the company issued, higher numbers are weaker
    evidence. It decides which link yields: a link is as strong as its weaker end, and a link of
    priority p never joins two sets that hold different values of a `limited` type stronger than
    p (two different CRM ids are never joined by a shared phone; a user account may join two CRM
    contacts). `limited` types are the ones a person has only one of. Priority 6 is no type's:
    it is the merging tier of probabilistic matches (var `identity_match_merging_tier`), right
    after the last limited type, so that once a match has merged two CRM ids of one person, the
    email and phone the two contacts share are that person's, not a conflict.
    `joins_profiles` says whether a link of the type may join two known profiles (sets that
    each hold a limited identifier, even of different types): an email may join a shop
    customer to a user account, but a phone (a household landline), a cookie or a device (a
    shared tablet) only attaches records that are not yet anyone's.
    `merges_on_match` (default true) says whether a strong probabilistic match may merge two
    different values of a limited type: two CRM contacts entered for one person may be merged,
    but two login accounts, each one a person signed up for and signs in to, are not.
    Override with the dbt var `identity_identifier_types` (same shape).

    An id issued by one of several systems of a kind (a second CRM after a merger) has the type
    `<type>:<system>`, e.g. `crm_id:acquired_crm`: it takes the priority and flags of `<type>`,
    and, being a type of its own, never conflicts with the ids of another system.
#}
{% macro default_identity_identifier_types() -%}
    {{ return({
        'user_id': {
            'priority': 1, 'limited': true, 'joins_profiles': true, 'merges_on_match': false
        },
        'crm_id': {'priority': 2, 'limited': true, 'joins_profiles': true},
        'shop_customer_id': {'priority': 3, 'limited': true, 'joins_profiles': true},
        'helpdesk_user_id': {'priority': 4, 'limited': true, 'joins_profiles': true},
        'chat_contact_id': {'priority': 4, 'limited': true, 'joins_profiles': true},
        'loyalty_card': {'priority': 5, 'limited': true, 'joins_profiles': true},
        'email': {'priority': 7, 'limited': false, 'joins_profiles': true},
        'phone': {'priority': 8, 'limited': false, 'joins_profiles': false},
        'social_handle': {'priority': 9, 'limited': false, 'joins_profiles': false},
        'order': {'priority': 10, 'limited': false, 'joins_profiles': true},
        'order_name': {'priority': 10, 'limited': false, 'joins_profiles': true},
        'marketing_send': {'priority': 10, 'limited': false, 'joins_profiles': true},
        'call': {'priority': 10, 'limited': false, 'joins_profiles': true},
        'anonymous_id': {'priority': 11, 'limited': false, 'joins_profiles': false},
        'device_id': {'priority': 12, 'limited': false, 'joins_profiles': false},
    }) }}
{%- endmacro %}

{% macro identity_identifier_types() -%}
    {{ return(var('identity_identifier_types', connect360.default_identity_identifier_types())) }}
{%- endmacro %}

{#- The priority of a type name held in a SQL column, as a CASE expression. -#}
{% macro identifier_priority(type_column) -%}
    case
    {%- for name, spec in connect360.identity_identifier_types().items() %}
        when {{ connect360.is_identifier_type(type_column, name) }} then {{ spec['priority'] }}
    {%- endfor %}
    end
{%- endmacro %}

{#- Whether the type held in a SQL column is `name` or a system's `name:<system>`. -#}
{% macro is_identifier_type(type_column, name) -%}
    ({{ type_column }} = '{{ name }}' or {{ type_column }} like '{{ name }}:%')
{%- endmacro %}

{#-
    A node of the identity graph as a 60-bit integer: the first 15 hex digits of
    md5(type || ':' || value). The same on every engine and every version, so stored customer
    ids survive upgrades; a collision needs about a billion nodes to become likely.
-#}
{% macro identity_node_id(type_expression, value_expression) -%}
    {{ return(adapter.dispatch('identity_node_id', 'connect360')(type_expression, value_expression)) }}
{%- endmacro %}

{% macro default__identity_node_id(type_expression, value_expression) -%}
    cast(conv(substr(md5(concat({{ type_expression }}, ':', {{ value_expression }})), 1, 15), 16, 10) as bigint)
{%- endmacro %}

{% macro duckdb__identity_node_id(type_expression, value_expression) -%}
    cast('0x' || substr(md5({{ type_expression }} || ':' || {{ value_expression }}), 1, 15) as bigint)
{%- endmacro %}

{#- Whether the type held in a SQL column is `limited` (one per person), as a CASE expression. -#}
{% macro identifier_is_limited(type_column) -%}
    case
    {%- for name, spec in connect360.identity_identifier_types().items() %}
        when {{ connect360.is_identifier_type(type_column, name) }}
            then {{ 'true' if spec['limited'] else 'false' }}
    {%- endfor %}
        else false
    end
{%- endmacro %}

{#- The tiers (priorities) at which some type may not join two known profiles. -#}
{% macro identity_tiers_not_joining_profiles() -%}
    {%- set tiers = [] -%}
    {%- for name, spec in connect360.identity_identifier_types().items() -%}
        {%- if not spec.get('joins_profiles', true) and spec['priority'] not in tiers -%}
            {%- do tiers.append(spec['priority']) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(tiers | sort) }}
{%- endmacro %}

{#- A SQL condition on a type column: the type is limited and a match never merges two of it. -#}
{% macro identity_types_not_merging_on_match(type_column) -%}
    {%- set conditions = [] -%}
    {%- for name, spec in connect360.identity_identifier_types().items() -%}
        {%- if spec['limited'] and not spec.get('merges_on_match', true) -%}
            {%- do conditions.append(connect360.is_identifier_type(type_column, name)) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return('(' ~ (conditions | join(' or ') if conditions else '1 = 0') ~ ')') }}
{%- endmacro %}
