{{ config(
    materialized=connect360.journey_materialization(),
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ connect360.delete_rebuilt_rows(
        'rebuilt.customer_id in (' ~ connect360.changed_journey_customers() ~ ')'
        ~ ' or rebuilt.session_id in (' ~ connect360.rebuilt_sessions() ~ ')'
    ) }}",
) }}
{#-
    Web and app sessions, one row per session, stitched to customers: see
    `int_sessions_sessionized` for where a session starts and ends.

    The session's customer is the customer of its latest signed-in event, so the events before an
    identify call, and the earlier anonymous sessions of that browser, belong to the person it
    identified as (the identity graph links the anonymous id to them). A session with no
    signed-in event takes its events' customer.

    Incremental on DuckDB: a run rebuilds the sessions of the session subjects and of the
    customers in `int_journey_changes` (macros/journey_changes.sql).
-#}
-- depends_on: {{ ref('int_journey_changes') }}
with

session_events as (
    select * from {{ ref('int_sessions_sessionized') }}
    {%- if connect360.journey_is_incremental() %}
        where session_id in ({{ connect360.rebuilt_sessions() }})
    {%- endif %}
),

sessions as (
    select
        session_id,
        min(channel) as channel,
        min(occurred_at) as started_at,
        max(occurred_at) as ended_at,
        count(*) as events,
        sum(case when touchpoint_type in ('page_view', 'screen_view') then 1 else 0 end)
            as page_views,
        min_by(
            view_name, case when view_name is null then 99999999999 else occurred_epoch end
        ) as entry_view,
        max_by(view_name, case when view_name is null then -1 else occurred_epoch end)
            as exit_view,
        min_by(campaign, occurred_epoch) as campaign,
        max(case when outcome_code = 'converted' then 1 else 0 end) = 1 as is_converted,
        max(case when touchpoint_type = 'identify' then 1 else 0 end) = 1 as has_identify,
        max_by(
            customer_id,
            case when is_signed_in then 10000000000 else 0 end + occurred_epoch
        ) as customer_id
    from session_events
    group by session_id
),

final as (
    select
        session_id,
        customer_id,
        channel,
        started_at,
        ended_at,
        {{ connect360.epoch_seconds('ended_at') }} - {{ connect360.epoch_seconds('started_at') }}
            as duration_seconds,
        events,
        page_views,
        entry_view,
        exit_view,
        campaign,
        is_converted,
        has_identify
    from sessions
)

select * from final
