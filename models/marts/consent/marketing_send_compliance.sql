{#-
    Every marketing send of every known customer, with what each consent rule needs to judge it
    (the rules and their parameters are the var `consent_rules`; the quality checks apply them):

    - consent: the state in force for the send's purpose at the moment of sending: the latest
      event up to the send, of the customer (`consent_ledger`) or about the address or number the
      send went to (an event at the very second of the send counts; 'none' when there is none);
    - quiet hours: the second of the day in the customer's local time, for channels with quiet
      hours (null for others). The time zone is the customer's usual one, else that of the store
      they shop at; `time_zone_source` says which, and 'unknown' leaves the send unjudged (a
      warning check lists such sends: no zone is assumed);
    - frequency cap: the customer's marketing sends on the channel in the cap's window ending with
      this send (the send included), beside the cap;
    - discount after full price: for a discounted offer of a product, the days since the
      customer last paid full price for that product (online or in a store), if they did within
      the rule's window.

    Transactional messages are exempt and not here; sends the identity graph could not attribute
    are not here either (no customer to judge them against).
-#}
{%- set rules = var('consent_rules') -%}
{%- set discount_days = rules['discount_after_full_price']['window_days'] -%}
with

sends as (
    select * from {{ ref('stg_marketing__sends') }}
),

record_customers as (
    select * from {{ ref('int_identity__record_customers') }}
),

ledger as (
    select * from {{ ref('consent_ledger') }}
),

customers as (
    select * from {{ ref('customers') }}
),

order_lines as (
    select * from {{ ref('int_order_lines') }}
),

receipts as (
    select * from {{ ref('stg_pos__receipts') }}
),

time_zones as (
    select * from {{ ref('time_zones') }}
),

channel_rules as (
    {{ connect360.consent_channel_rules() }}
),

marketing_sends as (
    select
        sends.send_id,
        record_customers.customer_id,
        sends.campaign_id,
        sends.channel,
        channel_rules.consent_purpose,
        channel_rules.frequency_cap,
        channel_rules.cap_window_days,
        channel_rules.has_quiet_hours,
        case
            when sends.channel = 'email' then sends.recipient_email_key
            else sends.recipient_phone_key
        end as recipient_key,
        sends.sku,
        sends.discount_percent,
        coalesce(sends.sent_at, sends.occurred_at) as sent_at,
        sends._partition_date
    from sends
    inner join record_customers
        on concat('marketing__sends:', sends.send_id) = record_customers.record_id
    left join channel_rules on sends.channel = channel_rules.channel
    where sends.purpose = 'marketing' and record_customers.customer_id is not null
),

consent_events as (
    select * from {{ ref('stg_consent__events') }}
),

consent_candidates as (
    -- Consent is the customer's, and also the contact point's: an event about the very
    -- address or number the send went to counts even when the identity graph did not
    -- attribute it.
    select
        marketing_sends.send_id,
        ledger.action,
        ledger.consent_event_id,
        ledger.valid_from as occurred_at
    from marketing_sends
    inner join ledger
        on
            marketing_sends.customer_id = ledger.customer_id
            and marketing_sends.consent_purpose = ledger.purpose
            and marketing_sends.sent_at >= ledger.valid_from
    union distinct
    select
        marketing_sends.send_id,
        consent_events.action,
        consent_events.consent_event_id,
        consent_events.occurred_at
    from marketing_sends
    inner join consent_events
        on
            marketing_sends.recipient_key = consent_events.subject_key
            and marketing_sends.consent_purpose = consent_events.purpose
            and marketing_sends.sent_at >= consent_events.occurred_at
),

consent_at_send as (
    select
        send_id,
        action,
        consent_event_id
    from (
        select
            *,
            row_number() over (
                partition by send_id
                order by occurred_at desc, consent_event_id desc
            ) as recency
        from consent_candidates
    ) as ranked
    where recency = 1
),

store_zones as (
    select
        record_customers.customer_id,
        max(receipts.store_timezone) as time_zone
    from receipts
    inner join record_customers
        on
            concat('pos__receipts:', receipts.record_key) = record_customers.record_id
    group by record_customers.customer_id
),

send_zones as (
    select
        marketing_sends.send_id,
        coalesce(customer_zones.time_zone, shop_zones.time_zone) as local_time_zone,
        case
            when customer_zones.time_zone is not null then 'customer'
            when shop_zones.time_zone is not null then 'store'
            else 'unknown'
        end as time_zone_source
    from marketing_sends
    left join customers on marketing_sends.customer_id = customers.customer_id
    left join time_zones as customer_zones on customers.time_zone = customer_zones.time_zone
    left join store_zones on marketing_sends.customer_id = store_zones.customer_id
    left join time_zones as shop_zones on store_zones.time_zone = shop_zones.time_zone
),

sends_in_window as (
    select
        this_send.send_id,
        count(*) as sends_in_cap_window
    from marketing_sends as this_send
    inner join marketing_sends as earlier
        on
            this_send.customer_id = earlier.customer_id
            and this_send.channel = earlier.channel
            and this_send.sent_at >= earlier.sent_at
            and {{ connect360.epoch_seconds('earlier.sent_at') }}
            > {{ connect360.epoch_seconds('this_send.sent_at') }}
            - this_send.cap_window_days * 86400
    group by this_send.send_id
),

full_price_purchases as (
    select
        record_customers.customer_id,
        receipts.sku,
        receipts.occurred_at as paid_at
    from receipts
    inner join record_customers
        on concat('pos__receipts:', receipts.record_key) = record_customers.record_id
    where receipts.is_full_price and receipts.discount_code is null
    union all
    select
        record_customers.customer_id,
        order_lines.sku,
        order_lines.ordered_at as paid_at
    from order_lines
    inner join record_customers
        on concat('orders__orders:', order_lines.order_record_key) = record_customers.record_id
    where order_lines.is_full_price and not order_lines.is_cancelled
),

last_full_price as (
    select
        marketing_sends.send_id,
        max(full_price_purchases.paid_at) as paid_at
    from marketing_sends
    inner join full_price_purchases
        on
            marketing_sends.customer_id = full_price_purchases.customer_id
            and marketing_sends.sku = full_price_purchases.sku
            and marketing_sends.sent_at >= full_price_purchases.paid_at
            and full_price_purchases.paid_at
            > marketing_sends.sent_at - interval '{{ discount_days }}' day
    where marketing_sends.discount_percent > 0
    group by marketing_sends.send_id
),

final as (
    select
        marketing_sends.send_id,
        marketing_sends.customer_id,
        marketing_sends.campaign_id,
        marketing_sends.channel,
        marketing_sends.consent_purpose,
        marketing_sends.sent_at,
        cast(marketing_sends.sent_at as date) as sent_date,
        coalesce(consent_at_send.action, 'none') as consent_state_at_send,
        consent_at_send.consent_event_id as consent_event_in_force,
        send_zones.local_time_zone,
        send_zones.time_zone_source,
        {{ connect360.to_local_time('marketing_sends.sent_at', 'send_zones.local_time_zone') }}
            as sent_at_local,
        marketing_sends.has_quiet_hours as channel_has_quiet_hours,
        case
            when marketing_sends.has_quiet_hours
                then {{ connect360.second_of_day(connect360.to_local_time(
                    'marketing_sends.sent_at', 'send_zones.local_time_zone'
                )) }}
        end as quiet_hours_local_second,
        sends_in_window.sends_in_cap_window,
        marketing_sends.frequency_cap,
        marketing_sends.sku,
        marketing_sends.discount_percent,
        last_full_price.paid_at as full_price_paid_at,
        {{ connect360.epoch_seconds('marketing_sends.sent_at') }}
        - {{ connect360.epoch_seconds('last_full_price.paid_at') }} as seconds_since_full_price,
        marketing_sends._partition_date
    from marketing_sends
    left join consent_at_send on marketing_sends.send_id = consent_at_send.send_id
    left join send_zones on marketing_sends.send_id = send_zones.send_id
    left join sends_in_window on marketing_sends.send_id = sends_in_window.send_id
    left join last_full_price on marketing_sends.send_id = last_full_price.send_id
)

select * from final
