{{ config(
    materialized='table' if target.type == 'spark' else 'incremental',
    incremental_strategy='delete+insert',
    unique_key='record_id',
    on_schema_change='append_new_columns',
    post_hook="{{ connect360.forget_unstaged_records() }}",
) }}
{#-
    Every identifier every source record carries, one row per (record, identifier): the input of
    the identity graph. Emails, phones and handles are pseudonymous keys from staging; account ids
    are as the systems issued them. Blocked values (macros/identity_blocklist.sql) are absent.

    Each record names a hub: its strongest identifier (macros/identity_types.sql). The graph
    links the hub to each of the record's other identifiers, so a record with n identifiers
    gives n - 1 links instead of n(n - 1)/2, with the same connectivity. A record without any
    identifier gets one row with a NULL identifier, so the bridge still lists it. An identifier a
    record carries twice (a contact whose phone and mobile phone are one number) is one row, in
    its first place.

    Sources list their identifiers strongest first; a consent subject's type comes from the row.
    Automated traffic (web events whose user agent is a robot's, `is_bot`) carries no identifiers:
    a crawler is nobody's customer, and its records stay countable as unattributed.

    Incremental on DuckDB: each row keeps its staged record's day version, and a run rebuilds
    only the records staging restaged or withdrew since (macros/landed_records.sql,
    `staged_records`). `identity_rules_version` is a digest of the blocklist and the identifier
    types: a run under other ones rebuilds every row. After changing this model, or rebuilding
    staging with `--full-refresh`, rebuild it with `--full-refresh` too.
-#}
{%- set text = dbt.type_string() -%}
{%- set subject_type_sql = "case when subject_type in ('email', 'phone') then subject_type"
    ~ " when subject_type in ('user_id', 'crm_id', 'anonymous_id') then subject_type end" -%}
{%- set subject_value_sql = "case when subject_type in ('email', 'phone') then subject_key"
    ~ " else subject_id_plain end" -%}
{#- A second CRM's ids are a type of their own (macros/identity_types.sql). -#}
{%- set crm_type_sql = "case when crm_system is null then 'crm_id'"
    ~ " else 'crm_id:' || crm_system end" -%}
{%- set sources = [
    {'model': 'stg_web__events', 'key': 'event_id', 'at': 'occurred_at', 'ignore_when': 'is_bot', 'identifiers': [
        ('user_id', 'user_id'), ('email', 'email_key'), ('phone', 'phone_key'),
        ('order', 'order_id'), ('anonymous_id', 'anonymous_id'), ('anonymous_id', 'previous_id')]},
    {'model': 'stg_mobile_app__events', 'key': 'event_id', 'at': 'occurred_at', 'identifiers': [
        ('user_id', 'user_id'), ('email', 'email_key'), ('phone', 'phone_key'),
        ('order', 'order_id'), ('anonymous_id', 'anonymous_id'), ('anonymous_id', 'previous_id'),
        ('device_id', 'device_id')]},
    {'model': 'stg_email__events', 'key': 'event_id', 'at': 'occurred_at', 'identifiers': [
        ('email', 'email_key'), ('marketing_send', 'marketing_send_id')]},
    {'model': 'stg_sms__messages', 'key': 'message_id', 'at': 'occurred_at', 'identifiers': [
        ('phone', 'customer_phone_key')]},
    {'model': 'stg_voice__calls', 'key': 'call_id', 'at': 'occurred_at', 'identifiers': [
        ('phone', 'customer_phone_key'), ('call', 'call_id')]},
    {'model': 'stg_voice__dispositions', 'key': 'disposition_id', 'at': 'occurred_at', 'identifiers': [
        ('call', 'call_id')]},
    {'model': 'stg_chat__conversations', 'key': 'conversation_id', 'at': 'occurred_at', 'identifiers': [
        ('user_id', 'user_id'), ('chat_contact_id', 'contact_id'), ('email', 'email_key')]},
    {'model': 'stg_tickets__tickets', 'key': 'record_key', 'at': 'occurred_at', 'identifiers': [
        ('helpdesk_user_id', 'cast(requester_id as ' ~ text ~ ')'), ('email', 'requester_email_key'),
        ('phone', 'requester_phone_key')]},
    {'model': 'stg_orders__orders', 'key': 'record_key', 'at': 'occurred_at', 'identifiers': [
        ('shop_customer_id', 'cast(customer_id as ' ~ text ~ ')'), ('email', 'email_key'),
        ('phone', 'phone_key'), ('order', 'cast(order_id as ' ~ text ~ ')'), ('order_name', 'order_name')]},
    {'model': 'stg_pos__receipts', 'key': 'record_key', 'at': 'occurred_at', 'identifiers': [
        ('loyalty_card', 'loyalty_card'), ('phone', 'phone_key')]},
    {'model': 'stg_shipping__tracking_events', 'key': 'event_id', 'at': 'occurred_at', 'identifiers': [
        ('order_name', 'order_reference')]},
    {'model': 'stg_surveys__responses', 'key': 'response_id', 'at': 'occurred_at', 'identifiers': [
        ('user_id', 'user_id'), ('email', 'respondent_email_key'), ('phone', 'respondent_phone_key')]},
    {'model': 'stg_social__mentions', 'key': 'mention_id', 'at': 'occurred_at', 'identifiers': [
        ('crm_id', 'crm_id'), ('email', 'email_key'), ('social_handle', 'handle_key')]},
    {'model': 'stg_crm__contacts', 'key': 'record_key', 'at': 'occurred_at', 'identifiers': [
        ('user_id', 'user_id'), (crm_type_sql, 'crm_id', 'crm_id'), ('loyalty_card', 'loyalty_card'),
        ('email', 'email_key'), ('email', 'secondary_email_key'), ('phone', 'mobile_phone_key'),
        ('phone', 'phone_key')]},
    {'model': 'stg_marketing__sends', 'key': 'send_id', 'at': 'occurred_at', 'identifiers': [
        ('user_id', 'user_id'), ('crm_id', 'crm_id'), ('email', 'recipient_email_key'),
        ('phone', 'recipient_phone_key'), ('marketing_send', 'send_id')]},
    {'model': 'stg_consent__events', 'key': 'consent_event_id', 'at': 'occurred_at', 'identifiers': [
        (subject_type_sql, subject_value_sql)]},
    {'model': 'stg_consent__erasure_requests', 'key': 'request_id', 'at': 'occurred_at', 'identifiers': [
        (subject_type_sql, subject_value_sql)]},
    {'model': 'stg_experiments__assignments', 'key': 'assignment_id', 'at': 'occurred_at', 'identifiers': [
        ("case when subject_type in ('user_id', 'anonymous_id') then subject_type end", 'subject_id')]},
] -%}
{%- set known_types = connect360.identity_identifier_types() -%}
{%- set rules_version = local_md5(
    tojson(connect360.identity_blocklist(), sort_keys=true) ~ tojson(known_types, sort_keys=true)
) -%}
{%- set incremental = connect360.follows_staged_versions(
    'identity_rules_version', rules_version
) -%}

{%- for source in sources %}
    {%- set stream = source['model'][4:] %}

    {{ 'with ' if loop.first }}{{ stream }}_identifiers as (
        select
            '{{ stream }}:' || {{ source['key'] }} as record_id,
            '{{ stream }}' as source_stream,
            {{ source['at'] }}
            {%- for identifier in source['identifiers'] %}
                {%- set type_sql, value_sql = identifier[0], identifier[1] %}
                {#- A computed type names the known type its values are blocked as, if any. -#}
                {%- set blocked_as = identifier[2] if identifier | length > 2 else type_sql %}
                {%- set is_known_type = type_sql in known_types %}
                {%- set type_expression = "'" ~ type_sql ~ "'" if is_known_type else type_sql %},
                {{ type_expression }} as type_{{ loop.index }},
                case
                    {%- if source.get('ignore_when') %}
                        when {{ source['ignore_when'] }} then null
                    {%- endif %}
                    when
                        {{ connect360.is_blocked_identifier(value_sql, blocked_as)
                            if blocked_as in known_types else 'false' }}
                        then null
                    else nullif(trim({{ value_sql }}), '')
                end as value_{{ loop.index }}
            {%- endfor %},
            _partition_date,
            _loaded_at
        from (
            {{ connect360.staged_records(
                ref(source['model']), source['key'], stream, incremental
            ) }}
        ) as staged
    ),

    {{ stream }}_hubs as (
        select
            *,
            case
                {%- for _ in source['identifiers'] %}
                    when
                        type_{{ loop.index }} is not null and value_{{ loop.index }} is not null
                        then {{ loop.index }}
                {%- endfor %}
            end as hub_ordinal
        from {{ stream }}_identifiers
    ),

    {{ stream }}_occurrences as (
        select
            hubs.record_id,
            hubs.source_stream,
            hubs.occurred_at,
            case slots.ordinal
                {%- for _ in source['identifiers'] %}
                    when {{ loop.index }} then hubs.type_{{ loop.index }}
                {%- endfor %}
            end as identifier_type,
            case slots.ordinal
                {%- for _ in source['identifiers'] %}
                    when {{ loop.index }} then hubs.value_{{ loop.index }}
                {%- endfor %}
            end as identifier_value,
            slots.ordinal = hubs.hub_ordinal as is_hub,
            hubs._partition_date,
            hubs._loaded_at,
            case hubs.hub_ordinal
                {%- for _ in source['identifiers'] %}
                    when
                        {{ loop.index }}
                        then
                            {{ connect360.identity_node_id(
                                'hubs.type_' ~ loop.index, 'hubs.value_' ~ loop.index
                            ) }}
                {%- endfor %}
            end as hub_node_id
        from {{ stream }}_hubs as hubs
        cross join (
            values
            {%- for _ in range(source['identifiers'] | length + 1) %}
                ({{ loop.index0 }}){{ ',' if not loop.last }}
            {%- endfor %}
        ) as slots (ordinal)
        where
            (slots.ordinal = 0 and hubs.hub_ordinal is null)
            {%- for _ in source['identifiers'] %}
                {%- set slot = loop.index %}
                or (
                    slots.ordinal = {{ slot }}
                    and hubs.type_{{ slot }} is not null
                    and hubs.value_{{ slot }} is not null
                    {#- An identifier the record carries twice is one occurrence, the first. #}
                    {%- for earlier in range(1, slot) %}
                        and not coalesce(
                            hubs.type_{{ earlier }} = hubs.type_{{ slot }}
                            and hubs.value_{{ earlier }} = hubs.value_{{ slot }},
                            false
                        )
                    {%- endfor %}
                )
            {%- endfor %}
    ),
{%- endfor %}

unioned as (
    {%- for source in sources %}
        select * from {{ source['model'][4:] }}_occurrences
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
)

select
    record_id,
    source_stream,
    occurred_at,
    identifier_type,
    identifier_value,
    {{ connect360.identifier_priority('identifier_type') }} as identifier_priority,
    {{ connect360.identity_node_id('identifier_type', 'identifier_value') }} as node_id,
    coalesce(is_hub, false) as is_hub,
    hub_node_id,
    _partition_date,
    _loaded_at,
    '{{ rules_version }}' as identity_rules_version
from unioned
