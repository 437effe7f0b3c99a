{#-
    Every interaction of every known customer on every channel, in one table: when (UTC and the
    customer's local time), where, what, who acted, and the source record it came from.

    Local time uses the record's own time zone when it carries a valid one (web and app events,
    the store of a till receipt), else the customer's usual time zone from `customers`, else UTC;
    `local_time_zone` says which. Records the identity graph could not attribute, and records of
    erased customers, are not here (the bridge leaves them out).
-#}
with

touchpoints as (
    select * from {{ ref('int_touchpoints_unioned') }}
),

record_customers as (
    select * from {{ ref('int_identity__record_customers') }}
),

customers as (
    select * from {{ ref('customers') }}
),

session_events as (
    select * from {{ ref('int_sessions_sessionized') }}
),

time_zones as (
    select * from {{ ref('time_zones') }}
),

attributed as (
    select
        touchpoints.record_id,
        record_customers.customer_id,
        touchpoints.source_stream,
        touchpoints.channel,
        touchpoints.touchpoint_type,
        touchpoints.direction,
        touchpoints.occurred_at,
        coalesce(record_zones.time_zone, customer_zones.time_zone, 'UTC') as local_time_zone,
        touchpoints.campaign,
        touchpoints.message,
        touchpoints.outcome_code,
        touchpoints.is_escalated,
        touchpoints.wait_seconds,
        touchpoints.reference_id,
        session_events.session_id
    from touchpoints
    inner join record_customers on touchpoints.record_id = record_customers.record_id
    left join session_events on touchpoints.record_id = session_events.record_id
    left join customers on record_customers.customer_id = customers.customer_id
    left join time_zones as record_zones on touchpoints.record_time_zone = record_zones.time_zone
    left join time_zones as customer_zones on customers.time_zone = customer_zones.time_zone
    where record_customers.customer_id is not null
),

final as (
    select
        record_id as touchpoint_id,
        customer_id,
        channel,
        touchpoint_type,
        direction,
        occurred_at,
        {{ connect360.to_local_time('occurred_at', 'local_time_zone') }} as occurred_at_local,
        local_time_zone,
        campaign,
        message,
        outcome_code,
        is_escalated,
        wait_seconds,
        reference_id,
        session_id,
        source_stream,
        substr(record_id, length(source_stream) + 2) as source_record_key
    from attributed
)

select * from final
