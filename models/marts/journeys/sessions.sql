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
    Web and app sessions, one row per session, with their customer: see
    `int_sessions_sessionized` for where a session starts and ends, and `int_sessions_stitched`
    for whose session it is (the customer of its latest signed-in event, so anonymous events
    before an identify call belong to the person it identified as).

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

stitched as (
    select * from {{ ref('int_sessions_stitched') }}
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
        max(case when touchpoint_type = 'identify' then 1 else 0 end) = 1 as has_identify
    from session_events
    group by session_id
),

final as (
    select
        sessions.session_id,
        stitched.customer_id,
        sessions.channel,
        sessions.started_at,
        sessions.ended_at,
        {{ connect360.epoch_seconds('sessions.ended_at') }}
        - {{ connect360.epoch_seconds('sessions.started_at') }} as duration_seconds,
        sessions.events,
        sessions.page_views,
        sessions.entry_view,
        sessions.exit_view,
        sessions.campaign,
        sessions.is_converted,
        sessions.has_identify
    from sessions
    left join stitched on sessions.session_id = stitched.session_id
)

select * from final
