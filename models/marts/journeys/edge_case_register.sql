{#-
    The edge-case register, one row per incident: failed payments and troubled shipments, the
    customer affected, the contacts each caused, whether the customer was told before asking, and
    how it ended. The rules are in _journeys__support.yml; lists and windows are dbt vars
    (macros/journeys/support_rules.sql).
-#}
{%- set rule = connect360.support_rule -%}
{%- set delayed = connect360.string_literals(rule('delayed_shipment_statuses')) -%}
{%- set misrouted = connect360.string_literals(rule('misrouted_shipment_statuses')) -%}
{%- set exceptions = connect360.string_literals(rule('delivery_exception_statuses')) -%}
{%- set delivered = connect360.string_literals(rule('delivered_statuses')) -%}
{%- set returned = connect360.string_literals(rule('returned_statuses')) -%}
{%- set marketing = connect360.string_literals(rule('marketing_purposes')) -%}
{%- set contact_window_seconds = rule('edge_case_contact_window_hours') * 3600 -%}
{%- set grace_seconds = rule('late_delivery_grace_hours') * 3600 -%}
{%- set text = dbt.type_string() -%}

with

orders as (
    select * from {{ ref('stg_orders__orders') }}
),

tracking_events as (
    select * from {{ ref('stg_shipping__tracking_events') }}
),

tickets as (
    select * from {{ ref('stg_tickets__tickets') }}
),

chat_conversations as (
    select * from {{ ref('stg_chat__conversations') }}
),

voice_calls as (
    select * from {{ ref('stg_voice__calls') }}
),

sms_messages as (
    select * from {{ ref('stg_sms__messages') }}
),

email_events as (
    select * from {{ ref('stg_email__events') }}
),

marketing_sends as (
    select * from {{ ref('stg_marketing__sends') }}
),

record_customers as (
    select * from {{ ref('int_identity__record_customers') }}
),

support_contacts as (
    {{ connect360.inbound_support_contacts(
        chats='chat_conversations',
        tickets='tickets',
        calls='voice_calls',
        sms='sms_messages',
        record_customers='record_customers',
    ) }}
),

order_versions as (
    select
        record_key,
        order_id,
        order_name,
        coalesce(updated_at, occurred_at) as version_at,
        case
            when lower(financial_status) in ('refunded', 'partially_refunded') then 'refunded'
            when cancelled_at is not null or lower(financial_status) = 'voided' then 'cancelled'
            when lower(financial_status) in ('paid', 'partially_paid', 'authorized') then 'paid'
            else 'pending'
        end as payment_state,
        {{ connect360.json_array_has_any(
            'transactions_json', rule('failed_payment_statuses'), field='status'
        ) }} as has_failed_transaction,
        {{ connect360.json_array_min('transactions_json', 'error_code') }} as error_code,
        row_number() over (
            partition by order_id
            order by coalesce(updated_at, occurred_at) desc, record_key desc
        ) as recency
    from orders
),

payment_failures as (
    select
        order_id,
        record_key,
        order_name,
        error_code,
        version_at as started_at,
        row_number() over (partition by order_id order by version_at, record_key) as failure_order
    from order_versions
    where has_failed_transaction
),

-- How a failed payment ended: the order's latest payment state, from when it first reached it.
payment_outcomes as (
    select
        failures.order_id,
        max(case when versions.recency = 1 then versions.payment_state end) as latest_state,
        min(
            case
                when
                    versions.payment_state = 'refunded'
                    and failures.started_at <= versions.version_at
                    then versions.version_at
            end
        ) as refunded_at,
        min(
            case
                when
                    versions.payment_state = 'cancelled'
                    and failures.started_at <= versions.version_at
                    then versions.version_at
            end
        ) as cancelled_at,
        min(
            case
                when
                    versions.payment_state = 'paid'
                    and failures.started_at <= versions.version_at
                    then versions.version_at
            end
        ) as paid_at
    from payment_failures as failures
    inner join order_versions as versions on failures.order_id = versions.order_id
    where failures.failure_order = 1
    group by failures.order_id
),

payment_incidents as (
    select
        'orders__orders:' || cast(failures.order_id as {{ text }}) as incident_id,
        'failed_payment' as incident_type,
        'failed_transaction' as incident_code,
        {{ connect360.detail_code('failures.error_code') }} as incident_detail,
        'orders__orders:' || failures.record_key as record_id,
        failures.order_name,
        cast(null as {{ text }}) as carrier,
        failures.started_at,
        case outcomes.latest_state
            when 'refunded' then 'refunded'
            when 'cancelled' then 'cancelled'
            when 'paid' then 'resolved'
            else 'open'
        end as outcome,
        case outcomes.latest_state
            when 'refunded' then outcomes.refunded_at
            when 'cancelled' then outcomes.cancelled_at
            when 'paid' then outcomes.paid_at
        end as ended_at
    from payment_failures as failures
    inner join payment_outcomes as outcomes on failures.order_id = outcomes.order_id
    where failures.failure_order = 1
),

order_refunds as (
    select
        order_name,
        min(version_at) as refunded_at
    from order_versions
    where payment_state = 'refunded'
    group by order_name
),

shipment_events as (
    select
        event_id,
        coalesce(
            coalesce(carrier, 'unknown') || ':' || tracking_number, 'event:' || event_id
        ) as parcel_key,
        carrier,
        order_reference,
        replace(replace(lower(trim(status)), ' ', '_'), '-', '_') as status,
        {{ connect360.detail_code('status_detail') }} as status_detail,
        estimated_delivery_at,
        occurred_at
    from tracking_events
),

shipment_troubles as (
    select
        *,
        case
            when status in ({{ delayed }}) then 'delayed_shipment'
            when status in ({{ misrouted }}) then 'misrouted_shipment'
            when status in ({{ exceptions }}) then 'delivery_exception'
        end as incident_type
    from shipment_events
),

parcel_promises as (
    select
        parcel_key,
        estimated_delivery_at as promised_at,
        row_number() over (partition by parcel_key order by occurred_at, event_id) as promise_order
    from shipment_events
    where estimated_delivery_at is not null
),

parcel_deliveries as (
    select
        parcel_key,
        event_id,
        occurred_at as delivered_at,
        row_number() over (partition by parcel_key order by occurred_at, event_id) as delivery_order
    from shipment_events
    where status in ({{ delivered }})
),

parcels as (
    select
        events.parcel_key,
        min(events.carrier) as carrier,
        min(events.order_reference) as order_name,
        min(case when events.status in ({{ returned }}) then events.occurred_at end) as returned_at
    from shipment_events as events
    group by events.parcel_key
),

parcel_timelines as (
    select
        parcels.*,
        deliveries.event_id as delivery_event_id,
        deliveries.delivered_at,
        {{ connect360.timestamp_add_seconds('promises.promised_at', grace_seconds) }} as late_after
    from parcels
    left join parcel_deliveries as deliveries
        on parcels.parcel_key = deliveries.parcel_key and deliveries.delivery_order = 1
    left join parcel_promises as promises
        on parcels.parcel_key = promises.parcel_key and promises.promise_order = 1
),

-- Every sign of trouble: a carrier scan, or a delivery later than first promised (late from
-- the promise plus the grace, when no scan said so).
parcel_troubles as (
    select
        parcel_key,
        event_id,
        incident_type,
        status as incident_code,
        status_detail as incident_detail,
        occurred_at as started_at
    from shipment_troubles
    where incident_type is not null

    union all

    select
        parcel_key,
        delivery_event_id as event_id,
        'delayed_shipment' as incident_type,
        'late_delivery' as incident_code,
        cast(null as {{ text }}) as incident_detail,
        late_after as started_at
    from parcel_timelines
    where delivered_at > late_after
),

first_parcel_troubles as (
    select
        *,
        row_number() over (
            partition by parcel_key order by started_at, incident_code, event_id
        ) as trouble_order
    from parcel_troubles
),

shipment_incidents as (
    select
        'shipping__tracking_events:' || troubles.parcel_key as incident_id,
        troubles.incident_type,
        troubles.incident_code,
        troubles.incident_detail,
        'shipping__tracking_events:' || troubles.event_id as record_id,
        timelines.order_name,
        timelines.carrier,
        troubles.started_at,
        case
            when timelines.returned_at is not null then 'returned'
            when refunds.refunded_at is not null then 'refunded'
            when timelines.delivered_at > timelines.late_after then 'delivered_late'
            when timelines.delivered_at is not null then 'delivered'
            else 'open'
        end as outcome,
        case
            when timelines.returned_at is not null then timelines.returned_at
            when refunds.refunded_at is not null then refunds.refunded_at
            else timelines.delivered_at
        end as ended_at
    from first_parcel_troubles as troubles
    inner join parcel_timelines as timelines on troubles.parcel_key = timelines.parcel_key
    left join order_refunds as refunds
        on
            timelines.order_name = refunds.order_name
            and troubles.started_at <= refunds.refunded_at
    where troubles.trouble_order = 1
),

incidents_unioned as (
    select * from payment_incidents
    union all
    select * from shipment_incidents
),

incidents_attributed as (
    select
        incidents.*,
        record_customers.customer_id,
        {{ connect360.timestamp_add_seconds('incidents.started_at', contact_window_seconds) }}
            as contact_window_ends_at
    from incidents_unioned as incidents
    inner join record_customers on incidents.record_id = record_customers.record_id
    where record_customers.customer_id is not null
),

incident_contacts as (
    select
        incidents.incident_id,
        count(*) as contacts_caused,
        min(contacts.contacted_at) as first_contact_at
    from incidents_attributed as incidents
    inner join support_contacts as contacts
        on
            incidents.customer_id = contacts.customer_id
            and incidents.started_at <= contacts.contacted_at
            and incidents.contact_window_ends_at > contacts.contacted_at
    group by incidents.incident_id
),

marketing_messages as (
    select provider_message_id
    from marketing_sends
    where lower(purpose) in ({{ marketing }}) and provider_message_id is not null
),

-- Messages the company sent on its own that can tell a customer about an incident: sends and
-- emails with a purpose other than marketing, outbound SMS and answered outbound calls that are
-- not marketing sends, chat conversations the company started.
care_messages as (
    select
        'marketing__sends:' || send_id as record_id,
        coalesce(sent_at, occurred_at) as sent_at
    from marketing_sends
    where lower(purpose) not in ({{ marketing }})

    union all

    select
        'email__events:' || event_id as record_id,
        occurred_at as sent_at
    from email_events
    where event_type = 'delivered' and purpose not in ({{ marketing }})

    union all

    select
        'sms__messages:' || sms_messages.message_id as record_id,
        coalesce(sms_messages.sent_at, sms_messages.created_at, sms_messages.occurred_at)
            as sent_at
    from sms_messages
    left join marketing_messages
        on sms_messages.message_id = marketing_messages.provider_message_id
    where
        sms_messages.direction in ('outbound-api', 'outbound-call')
        and coalesce(sms_messages.status, '') not in ('failed', 'undelivered', 'canceled')
        and marketing_messages.provider_message_id is null

    union all

    select
        'voice__calls:' || voice_calls.call_id as record_id,
        coalesce(voice_calls.started_at, voice_calls.occurred_at) as sent_at
    from voice_calls
    left join marketing_messages
        on voice_calls.call_id = marketing_messages.provider_message_id
    where
        voice_calls.direction = 'outbound-api'
        and voice_calls.status = 'completed'
        and marketing_messages.provider_message_id is null

    union all

    select
        'chat__conversations:' || conversation_id as record_id,
        coalesce(created_at, occurred_at) as sent_at
    from chat_conversations
    where delivered_as != 'customer_initiated'
),

care_messages_attributed as (
    select
        record_customers.customer_id,
        care_messages.sent_at
    from care_messages
    inner join record_customers on care_messages.record_id = record_customers.record_id
    where record_customers.customer_id is not null
),

incident_notices as (
    select
        incidents.incident_id,
        min(messages.sent_at) as first_notice_at
    from incidents_attributed as incidents
    left join incident_contacts as contacts on incidents.incident_id = contacts.incident_id
    inner join care_messages_attributed as messages
        on
            incidents.customer_id = messages.customer_id
            and incidents.started_at <= messages.sent_at
            and incidents.contact_window_ends_at > messages.sent_at
            and (incidents.ended_at is null or incidents.ended_at >= messages.sent_at)
            and (contacts.first_contact_at is null or contacts.first_contact_at > messages.sent_at)
    group by incidents.incident_id
),

final as (
    select
        incidents.incident_id,
        incidents.incident_type,
        incidents.incident_code,
        incidents.incident_detail,
        incidents.customer_id,
        incidents.record_id,
        incidents.order_name,
        incidents.carrier,
        incidents.started_at,
        coalesce(contacts.contacts_caused, 0) as contacts_caused,
        contacts.first_contact_at,
        notices.incident_id is not null as is_proactively_notified,
        notices.first_notice_at,
        incidents.outcome,
        incidents.ended_at
    from incidents_attributed as incidents
    left join incident_contacts as contacts on incidents.incident_id = contacts.incident_id
    left join incident_notices as notices on incidents.incident_id = notices.incident_id
)

select * from final
