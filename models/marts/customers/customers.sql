{#-
    The unified customer (golden record): one row per customer, erased customers excluded.
    Survivorship rules, per attribute (documented in _customers__models.yml):
      country_code   most trusted source first (CRM, then orders' shipping country), then the most
                     recent value;
      time_zone      the most frequent time zone of the customer's web and app events;
      email_key      the most trusted source (CRM, orders, account traits, everything else), then
                     the most recent;
      lifecycle_stage
                     the most recent stage of the primary CRM, else of another CRM system (an
                     acquired company's, which may know the customer only as a lead); else
                     derived from behaviour;
      consent        per purpose, the latest consent event over all the customer's subjects.
-#}
{%- set channels = [
    'web', 'mobile_app', 'email', 'sms', 'voice', 'chat', 'tickets', 'orders', 'pos', 'shipping',
    'surveys', 'social', 'marketing', 'consent', 'experiments',
] -%}
{%- set purposes = ['marketing_email', 'marketing_sms', 'phone_outreach', 'analytics'] -%}
{%- set not_touchpoints = ['consent', 'experiments', 'marketing', 'shipping'] -%}
{%- set channel_counts, channel_columns, channels_used = [], [], [] -%}
{%- for channel in channels -%}
    {%- do channel_counts.append(
        "sum(case when channel = '" ~ channel ~ "' then 1 else 0 end) as " ~ channel ~ "_records"
    ) -%}
    {%- do channel_columns.append("activity." ~ channel ~ "_records") -%}
    {%- if channel not in not_touchpoints -%}
        {%- do channels_used.append(
            "case when activity." ~ channel ~ "_records > 0 then '" ~ channel ~ "' end"
        ) -%}
    {%- endif -%}
{%- endfor -%}
{%- set consent_latest, consent_columns = [], [] -%}
{%- for purpose in purposes -%}
    {%- do consent_latest.append(
        "max(case when purpose = '" ~ purpose ~ "' then action end) as consent_" ~ purpose
    ) -%}
    {%- do consent_columns.append("consent.consent_" ~ purpose) -%}
{%- endfor -%}

with bridge as (
    select
        record_id,
        split_part(source_stream, '__', 1) as channel,
        split_part(record_id, ':', 1) as source_table,
        substr(record_id, length(split_part(record_id, ':', 1)) + 2) as record_key,
        occurred_at,
        customer_id
    from {{ ref('int_identity__record_customers') }}
    where customer_id is not null
),

activity as (
    select
        customer_id,
        min(occurred_at) as first_seen_at,
        max(occurred_at) as last_seen_at,
        count(*) as records,
        {{ channel_counts | join(',
        ') }}
    from bridge
    group by customer_id
),

created as (
    select
        customer_id,
        min(customer_created_at) as customer_created_at
    from {{ ref('int_identity__customer_ids') }}
    group by customer_id
),

crm as (
    select
        bridge.customer_id,
        contacts.country_code,
        contacts.lifecycle_stage,
        contacts.email_key,
        contacts.updated_at,
        contacts.crm_system
    from {{ ref('stg_crm__contacts') }} as contacts
    inner join bridge
        on bridge.source_table = 'crm__contacts' and contacts.record_key = bridge.record_key
),

orders as (
    select
        bridge.customer_id,
        orders.order_id,
        orders.shipping_country_code,
        orders.email_key,
        orders.total_price,
        orders.currency,
        orders.cancelled_at,
        orders.updated_at
    from {{ ref('stg_orders__orders') }} as orders
    inner join bridge
        on bridge.source_table = 'orders__orders' and orders.record_key = bridge.record_key
),

-- The latest version of each order.
latest_orders as (
    select * from (
        select
            *,
            row_number() over (partition by order_id order by updated_at desc) as version_rank
        from orders
    ) as ranked
    where version_rank = 1
),

purchases as (
    select
        customer_id,
        count(*) as online_orders,
        sum(case when cancelled_at is null then total_price else 0 end) as online_order_value
    from latest_orders
    group by customer_id
),

store_visits as (
    select
        bridge.customer_id,
        count(distinct receipts.receipt_id) as store_purchases,
        sum(receipts.paid_price * receipts.quantity) as store_purchase_value
    from {{ ref('stg_pos__receipts') }} as receipts
    inner join bridge
        on bridge.source_table = 'pos__receipts' and receipts.record_key = bridge.record_key
    group by bridge.customer_id
),

time_zones as (
    select
        bridge.customer_id,
        events.time_zone,
        count(*) as seen
    from (
        select
            event_id,
            time_zone
        from {{ ref('stg_web__events') }}
        where time_zone is not null
        union all
        select
            event_id,
            time_zone
        from {{ ref('stg_mobile_app__events') }}
        where time_zone is not null
    ) as events
    inner join bridge
        on
            bridge.source_table in ('web__events', 'mobile_app__events')
            and events.event_id = bridge.record_key
    group by bridge.customer_id, events.time_zone
),

-- Every candidate value of every attribute, with what ranks it: source trust, how often it
-- was seen, how recently.
candidates as (
    select
        customer_id,
        'country_code' as attribute_name,
        country_code as candidate,
        1 as trust,
        0 as seen,
        updated_at as observed_at
    from crm
    where country_code is not null
    union all
    select
        customer_id,
        'country_code' as attribute_name,
        shipping_country_code as candidate,
        2 as trust,
        0 as seen,
        updated_at as observed_at
    from orders
    where shipping_country_code is not null
    union all
    select
        customer_id,
        'email_key' as attribute_name,
        email_key as candidate,
        1 as trust,
        0 as seen,
        updated_at as observed_at
    from crm
    where email_key is not null
    union all
    select
        customer_id,
        'email_key' as attribute_name,
        email_key as candidate,
        2 as trust,
        0 as seen,
        updated_at as observed_at
    from orders
    where email_key is not null
    union all
    select
        customer_id,
        'time_zone' as attribute_name,
        time_zone as candidate,
        1 as trust,
        seen,
        cast(null as timestamp) as observed_at
    from time_zones
    union all
    select
        customer_id,
        'crm_lifecycle_stage' as attribute_name,
        lifecycle_stage as candidate,
        case when crm_system is null then 1 else 2 end as trust,
        0 as seen,
        updated_at as observed_at
    from crm
    where lifecycle_stage is not null
),

chosen as (
    select
        customer_id,
        attribute_name,
        candidate
    from (
        select
            *,
            row_number() over (
                partition by customer_id, attribute_name
                order by trust asc, seen desc, observed_at desc, candidate asc
            ) as choice
        from candidates
    ) as ranked
    where choice = 1
),

attributes as (
    select
        customer_id,
        max(case when attribute_name = 'country_code' then candidate end) as country_code,
        max(case when attribute_name = 'email_key' then candidate end) as email_key,
        max(case when attribute_name = 'time_zone' then candidate end) as time_zone,
        max(case when attribute_name = 'crm_lifecycle_stage' then candidate end)
            as crm_lifecycle_stage
    from chosen
    group by customer_id
),

consent_events as (
    select
        bridge.customer_id,
        events.purpose,
        events.action,
        events.occurred_at,
        events.consent_event_id
    from {{ ref('stg_consent__events') }} as events
    inner join bridge
        on
            bridge.source_table = 'consent__events'
            and events.consent_event_id = bridge.record_key
),

consent as (
    select
        customer_id,
        {{ consent_latest | join(',
        ') }}
    from (
        select
            *,
            row_number() over (
                partition by customer_id, purpose
                order by occurred_at desc, consent_event_id desc
            ) as recency
        from consent_events
    ) as ranked
    where recency = 1
    group by customer_id
),

identifiers as (
    select
        customer_id,
        count(*) as identifiers,
        sum(case when identifier_type = 'email' then 1 else 0 end) as email_addresses,
        sum(case when identifier_type = 'phone' then 1 else 0 end) as phone_numbers,
        sum(case when identifier_type in ('anonymous_id', 'device_id') then 1 else 0 end)
            as devices_and_cookies,
        max(case when identifier_type in (
            'user_id', 'crm_id', 'shop_customer_id', 'helpdesk_user_id', 'chat_contact_id',
            'loyalty_card', 'email', 'phone'
        ) then 1 else 0 end) = 1 as is_known
    from {{ ref('int_identity__customer_ids') }}
    group by customer_id
)

select
    activity.customer_id,
    created.customer_created_at,
    activity.first_seen_at,
    activity.last_seen_at,
    attributes.country_code,
    attributes.time_zone,
    attributes.email_key,
    case
        when attributes.crm_lifecycle_stage is not null then attributes.crm_lifecycle_stage
        when coalesce(purchases.online_orders, 0) + coalesce(store_visits.store_purchases, 0) > 0
            then 'customer'
        when identifiers.is_known then 'lead'
        else 'visitor'
    end as lifecycle_stage,
    case
        when not identifiers.is_known then 'anonymous visitor'
        when coalesce(store_visits.store_purchases, 0) > coalesce(purchases.online_orders, 0)
            then 'store shopper'
        when coalesce(purchases.online_orders, 0) >= 3 then 'loyal online buyer'
        when coalesce(purchases.online_orders, 0) > 0 then 'online buyer'
        when attributes.crm_lifecycle_stage = 'churned' then 'churned'
        when attributes.crm_lifecycle_stage = 'customer' then 'dormant customer'
        when activity.chat_records + activity.tickets_records + activity.voice_records >= 3
            then 'support-heavy prospect'
        else 'prospect'
    end as segment,
    {{ consent_columns | join(',
    ') }},
    concat_ws(',', {{ channels_used | join(', ') }}) as channels_used,
    coalesce(purchases.online_orders, 0) as online_orders,
    coalesce(purchases.online_order_value, 0) as online_order_value,
    coalesce(store_visits.store_purchases, 0) as store_purchases,
    coalesce(store_visits.store_purchase_value, 0) as store_purchase_value,
    identifiers.identifiers,
    identifiers.email_addresses,
    identifiers.phone_numbers,
    identifiers.devices_and_cookies,
    activity.records,
    {{ channel_columns | join(',
    ') }}
from activity
inner join created on activity.customer_id = created.customer_id
inner join identifiers on activity.customer_id = identifiers.customer_id
left join attributes on activity.customer_id = attributes.customer_id
left join consent on activity.customer_id = consent.customer_id
left join purchases on activity.customer_id = purchases.customer_id
left join store_visits on activity.customer_id = store_visits.customer_id
