{{ config(
    materialized=connect360.journey_materialization(),
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ connect360.delete_rebuilt_rows() }}",
) }}
{#-
    Every interaction of every known customer on every channel, in one table: when (UTC and the
    customer's local time), where, what, who acted, the session, and the source record it came
    from. `int_touchpoints_attributed` chooses the customer and the local time zone.

    Incremental on DuckDB: a run rebuilds the touchpoints of the customers in
    `int_journey_changes` (macros/journey_changes.sql).
-#}
-- depends_on: {{ ref('int_journey_changes') }}
with

touchpoints as (
    select * from {{ ref('int_touchpoints_attributed') }}
),

session_events as (
    select * from {{ ref('int_sessions_sessionized') }}
),

to_build as (
    select * from touchpoints
    {%- if connect360.journey_is_incremental() %}
        where customer_id in ({{ connect360.changed_journey_customers() }})
    {%- endif %}
),

final as (
    select
        to_build.record_id as touchpoint_id,
        to_build.customer_id,
        to_build.channel,
        to_build.touchpoint_type,
        to_build.direction,
        to_build.occurred_at,
        {{ connect360.to_local_time('to_build.occurred_at', 'to_build.local_time_zone') }}
            as occurred_at_local,
        to_build.local_time_zone,
        to_build.campaign,
        to_build.message,
        to_build.outcome_code,
        to_build.is_escalated,
        to_build.wait_seconds,
        to_build.reference_id,
        session_events.session_id,
        to_build.source_stream,
        substr(to_build.record_id, length(to_build.source_stream) + 2) as source_record_key
    from to_build
    left join session_events on to_build.record_id = session_events.record_id
)

select * from final
