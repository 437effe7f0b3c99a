{{ config(
    materialized=connect360.journey_materialization(),
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ connect360.delete_rebuilt_rows() }}",
) }}
{#-
    The touchpoints as the incremental journey models last applied them: `int_touchpoints_attributed`
    as it was when the layer last ran to the end, which `int_journey_changes` compares the next
    run's inputs with (macros/journey_changes.sql). Like the models it follows, a run rewrites
    the changed customers' rows only.

    It runs after the last models of the layer, so a run that fails before them leaves it as it
    was, and the next run rebuilds the same customers again.
-#}
-- depends_on: {{ ref('int_journey_changes') }}
-- depends_on: {{ ref('attribution_paths') }}
-- depends_on: {{ ref('journey_moments') }}
-- depends_on: {{ ref('sessions') }}
-- depends_on: {{ ref('touchpoints') }}
with

touchpoints as (
    select * from {{ ref('int_touchpoints_attributed') }}
    {%- if connect360.journey_is_incremental() %}
        where customer_id in ({{ connect360.changed_journey_customers() }})
    {%- endif %}
),

final as (
    select
        record_id,
        customer_id,
        source_stream,
        channel,
        touchpoint_type,
        direction,
        occurred_at,
        local_time_zone,
        campaign,
        message,
        outcome_code,
        is_escalated,
        wait_seconds,
        reference_id,
        session_subject
    from touchpoints
)

select * from final
