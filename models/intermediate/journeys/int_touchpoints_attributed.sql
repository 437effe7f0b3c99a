{{ config(materialized='view') }}
{#-
    Every touchpoint of a known customer as the current inputs make it, before sessions: the
    record's customer from the identity bridge and its local time zone — the record's own zone
    when it carries a valid one (web and app events, the store of a till receipt), else the
    customer's usual zone from `customers`, else UTC.

    `touchpoints` publishes these rows with their sessions; `int_journey_changes` compares them
    with the rows the journey models last applied (`int_touchpoints_applied`) to find what
    changed. Records the identity graph could not attribute, and records of erased customers,
    are not here (the bridge leaves them out).
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

time_zones as (
    select * from {{ ref('time_zones') }}
),

final as (
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
        touchpoints.session_subject
    from touchpoints
    inner join record_customers on touchpoints.record_id = record_customers.record_id
    left join customers on record_customers.customer_id = customers.customer_id
    left join time_zones as record_zones on touchpoints.record_time_zone = record_zones.time_zone
    left join time_zones as customer_zones on customers.time_zone = customer_zones.time_zone
    where record_customers.customer_id is not null
)

select * from final
