{#-
    The unified customer (golden record): one row per customer, erased customers excluded.
    Survivorship rules, per attribute (documented in _customers__models.yml):
      country_code   most trusted source first (CRM, then orders' shipping country), then the most
                     recent value;
      time_zone      the most frequent time zone of the customer's web and app events;
      email_key      the most trusted source (CRM, orders, account traits, everything else), then
                     the most recent;
      lifecycle_stage
                     the most recent CRM stage when there is one; else derived from behaviour;
      consent        per purpose, the latest consent event over all the customer's subjects.
-#}
{%- set channels = ['web', 'mobile_app', 'email', 'sms', 'voice', 'chat', 'tickets', 'orders', 'pos', 'shipping', 'surveys', 'social', 'marketing', 'consent', 'experiments'] -%}
{%- set purposes = ['marketing_email', 'marketing_sms', 'phone_outreach', 'analytics'] -%}

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
        count(*) as records
        {%- for channel in channels %},
        sum(case when channel = '{{ channel }}' then 1 else 0 end) as {{ channel }}_records
        {%- endfor %}
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
        contacts.updated_at
    from {{ ref('stg_crm__contacts') }} as contacts
    inner join bridge
        on bridge.source_table = 'crm__contacts' and bridge.record_key = contacts.record_key
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
        on bridge.source_table = 'orders__orders' and bridge.record_key = orders.record_key
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
        on bridge.source_table = 'pos__receipts' and bridge.record_key = receipts.record_key
    group by bridge.customer_id
),

-- Candidate values per attribute, ranked by source trust, then recency.
country_candidates as (
    select customer_id, country_code as value, 1 as trust, updated_at as observed_at
    from crm where country_code is not null
    union all
    select customer_id, shipping_country_code, 2, updated_at
    from orders where shipping_country_code is not null
),

email_candidates as (
    select customer_id, email_key as value, 1 as trust, updated_at as observed_at
    from crm where email_key is not null
    union all
    select customer_id, email_key, 2, updated_at
    from orders where email_key is not null
),

time_zones as (
    select
        bridge.customer_id,
        events.time_zone as value,
        count(*) as seen
    from (
        select event_id, time_zone from {{ ref('stg_web__events') }}
        where time_zone is not null
        union all
        select event_id, time_zone from {{ ref('stg_mobile_app__events') }}
        where time_zone is not null
    ) as events
    inner join bridge
        on
            bridge.source_table in ('web__events', 'mobile_app__events')
            and bridge.record_key = events.event_id
    group by bridge.customer_id, events.time_zone
),

chosen as (
    select customer_id, 'country_code' as attribute, value
    from (
        select
            *,
            row_number() over (
                partition by customer_id order by trust asc, observed_at desc, value asc
            ) as choice
        from country_candidates
    ) as ranked
    where choice = 1
    union all
    select customer_id, 'email_key', value
    from (
        select
            *,
            row_number() over (
                partition by customer_id order by trust asc, observed_at desc, value asc
            ) as choice
        from email_candidates
    ) as ranked
    where choice = 1
    union all
    select customer_id, 'time_zone', value
    from (
        select
            *,
            row_number() over (partition by customer_id order by seen desc, value asc) as choice
        from time_zones
    ) as ranked
    where choice = 1
    union all
    select customer_id, 'crm_lifecycle_stage', lifecycle_stage
    from (
        select
            *,
            row_number() over (partition by customer_id order by updated_at desc) as choice
        from crm
        where lifecycle_stage is not null
    ) as ranked
    where choice = 1
),

attributes as (
    select
        customer_id,
        max(case when attribute = 'country_code' then value end) as country_code,
        max(case when attribute = 'email_key' then value end) as email_key,
        max(case when attribute = 'time_zone' then value end) as time_zone,
        max(case when attribute = 'crm_lifecycle_stage' then value end) as crm_lifecycle_stage
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
            and bridge.record_key = events.consent_event_id
),

consent as (
    select
        customer_id
        {%- for purpose in purposes %},
        max(case when purpose = '{{ purpose }}' then action end) as consent_{{ purpose }}
        {%- endfor %}
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
    {%- for purpose in purposes %}
    consent.consent_{{ purpose }},
    {%- endfor %}
    {%- set used = [] %}
    {%- for channel in channels if channel not in ('consent', 'experiments', 'marketing', 'shipping') %}
        {%- do used.append("case when activity." ~ channel ~ "_records > 0 then '" ~ channel ~ "' end") %}
    {%- endfor %}
    concat_ws(',', {{ used | join(', ') }}) as channels_used,
    coalesce(purchases.online_orders, 0) as online_orders,
    coalesce(purchases.online_order_value, 0) as online_order_value,
    coalesce(store_visits.store_purchases, 0) as store_purchases,
    coalesce(store_visits.store_purchase_value, 0) as store_purchase_value,
    identifiers.identifiers,
    identifiers.email_addresses,
    identifiers.phone_numbers,
    identifiers.devices_and_cookies,
    activity.records
    {%- for channel in channels %},
    activity.{{ channel }}_records
    {%- endfor %}
from activity
inner join created on activity.customer_id = created.customer_id
inner join identifiers on activity.customer_id = identifiers.customer_id
left join attributes on activity.customer_id = attributes.customer_id
left join consent on activity.customer_id = consent.customer_id
left join purchases on activity.customer_id = purchases.customer_id
left join store_visits on activity.customer_id = store_visits.customer_id
