{#
    The identifier types of the identity graph, strongest first.

    `priority` orders trust: 1 is an account id the company issued, higher numbers are weaker
    evidence. It decides which link yields: a link is as strong as its weaker end, and a link of
    priority p never joins two sets that hold different values of a `limited` type stronger than
    p (two different CRM ids are never joined by a shared phone; a user account may join two CRM
    contacts). `limited` types are the ones a person has only one of.
    Override with the dbt var `identity_identifier_types` (same shape).
#}
{% macro default_identity_identifier_types() -%}
    {{ return({
        'user_id': {'priority': 1, 'limited': true},
        'crm_id': {'priority': 2, 'limited': true},
        'shop_customer_id': {'priority': 3, 'limited': true},
        'helpdesk_user_id': {'priority': 4, 'limited': true},
        'chat_contact_id': {'priority': 4, 'limited': true},
        'loyalty_card': {'priority': 5, 'limited': true},
        'email': {'priority': 6, 'limited': false},
        'phone': {'priority': 7, 'limited': false},
        'social_handle': {'priority': 8, 'limited': false},
        'order': {'priority': 9, 'limited': false},
        'order_name': {'priority': 9, 'limited': false},
        'marketing_send': {'priority': 9, 'limited': false},
        'call': {'priority': 9, 'limited': false},
        'anonymous_id': {'priority': 10, 'limited': false},
        'device_id': {'priority': 11, 'limited': false},
    }) }}
{%- endmacro %}

{% macro identity_identifier_types() -%}
    {{ return(var('identity_identifier_types', connect360.default_identity_identifier_types())) }}
{%- endmacro %}

{#- The priority of a type name held in a SQL column, as a CASE expression. -#}
{% macro identifier_priority(type_column) -%}
    case {{ type_column }}
    {%- for name, spec in connect360.identity_identifier_types().items() %}
        when '{{ name }}' then {{ spec['priority'] }}
    {%- endfor %}
    end
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
    case {{ type_column }}
    {%- for name, spec in connect360.identity_identifier_types().items() %}
        when '{{ name }}' then {{ 'true' if spec['limited'] else 'false' }}
    {%- endfor %}
        else false
    end
{%- endmacro %}
