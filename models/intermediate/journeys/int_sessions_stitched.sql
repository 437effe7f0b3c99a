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
    Every web and app session with its customer, one row per session: whose journey the session
    and all its events belong to.

    The session's customer is the customer of its latest signed-in event, so the events before an
    identify call, and the earlier anonymous sessions of that browser, belong to the person it
    identified as (the identity graph links the anonymous id to them). A session with no
    signed-in event takes its latest event's customer. `sessions` publishes it; the moment
    touchpoints and attribution paths read it.

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

final as (
    select
        session_id,
        max_by(
            customer_id,
            case when is_signed_in then 10000000000 else 0 end + occurred_epoch
        ) as customer_id
    from session_events
    group by session_id
)

select * from final
