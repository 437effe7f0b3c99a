{{ config(
    materialized=connect360.journey_materialization(),
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ connect360.delete_rebuilt_rows(connect360.is_changed_session_subject('rebuilt')) }}",
) }}
{#-
    Every web and app event with its session: the event-level half of `sessions`.

    A session is one browser's or app install's (anonymous id's) run of events; a new one starts
    after `session_timeout_minutes` (default 30) without an event — a gap of exactly the timeout
    starts a new session — or when an event arrives from a different campaign than the one the
    session came from. Sessions do not end at midnight. Backend events (no anonymous id, such as
    an account activation sent by the server) belong to no session, and neither do events no
    customer holds (robots' traffic, erased customers).

    Incremental on DuckDB: a run cuts again the sessions of the browsers and installs (session
    subjects) in `int_journey_changes`, all their events at once (macros/journey_changes.sql).
-#}
-- depends_on: {{ ref('int_journey_changes') }}
{% set timeout_seconds = var('session_timeout_minutes', 30) * 60 -%}

with

touchpoints as (
    select * from {{ ref('int_touchpoints_unioned') }}
),

record_customers as (
    select * from {{ ref('int_identity__record_customers') }}
),

events as (
    select
        touchpoints.record_id,
        touchpoints.channel,
        touchpoints.session_subject,
        touchpoints.occurred_at,
        {{ connect360.epoch_seconds('touchpoints.occurred_at') }} as occurred_epoch,
        touchpoints.touchpoint_type,
        touchpoints.campaign,
        touchpoints.message as view_name,
        touchpoints.outcome_code,
        record_customers.customer_id,
        record_customers.resolved_by = 'user_id' as is_signed_in
    from touchpoints
    inner join record_customers on touchpoints.record_id = record_customers.record_id
    where
        record_customers.customer_id is not null
        and touchpoints.session_subject is not null
        and touchpoints.channel in ('web', 'mobile_app')
        and {{ connect360.in_this_run_of_sessions('touchpoints') }}
),

gaps as (
    select
        *,
        occurred_epoch - lag(occurred_epoch) over subject_events as seconds_since_previous,
        lag(campaign) over subject_events as previous_campaign
    from events
    window subject_events as (
        partition by channel, session_subject order by occurred_at, record_id
    )
),

numbered as (
    select
        *,
        sum(
            case
                when seconds_since_previous is null then 1
                when seconds_since_previous >= {{ timeout_seconds }} then 1
                when campaign is not null and campaign <> coalesce(previous_campaign, '') then 1
                else 0
            end
        ) over (
            partition by channel, session_subject
            order by occurred_at, record_id
            rows between unbounded preceding and current row
        ) as session_number
    from gaps
),

final as (
    select
        md5(
            channel || ':' || session_subject || ':'
            || cast(
                min(occurred_epoch) over (partition by channel, session_subject, session_number)
                as {{ dbt.type_string() }}
            )
        ) as session_id,
        record_id,
        channel,
        session_subject,
        occurred_at,
        occurred_epoch,
        touchpoint_type,
        campaign,
        view_name,
        outcome_code,
        customer_id,
        is_signed_in
    from numbered
)

select * from final
