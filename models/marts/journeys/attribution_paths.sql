{{ config(
    materialized=connect360.journey_materialization(),
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ connect360.delete_rebuilt_rows() }}",
) }}
{#-
    Every attribution path, one row per step: the touches that led to a conversion, and the
    touches that led to none. attribution_touchpoints credits the first kind;
    attribution_transitions counts the moves between channels of both kinds for the Markov model.

    Touches. A web or app session is one touch, at its start, named by its entry event: its utm
    medium (a campaign without a medium is '(not set)'), else the host of a referrer on another
    site, else direct. Any other touchpoint is a touch when its channel and type are mapped; an
    email's open and click, or the messages of one social thread, are one touch (the first event
    of a reference). The seed `attribution_channel_map` names the attribution channel of each.

    Conversions. Every order (its first recorded version, normally `order_placed`) and every till
    receipt (`store_purchase`).

    Paths. A touch belongs to the first conversion of its customer at or after it, when that
    conversion is at most `attribution_lookback_days` (30) later: a touch counts for one
    conversion only, and a conversion's path starts after the previous conversion. A conversion
    with no such touch has a one-step path on the channel 'direct / none', at its own time.
    Touches with no conversion within the lookback make the paths that did not convert: per
    customer, those before the same next conversion (or after the last one) are cut into runs of
    the lookback's length from the first of them, so no path spans more than the lookback. A
    customer's last open path may still convert after the data ends.

    Incremental on DuckDB: a run rebuilds the paths of the customers in `int_journey_changes`
    (macros/journey_changes.sql).
-#}
-- depends_on: {{ ref('int_journey_changes') }}
-- depends_on: {{ ref('int_sessions_stitched') }}
{% set lookback_seconds = connect360.attribution_setting('attribution_lookback_days') * 86400 -%}

with

touchpoints as (
    select * from {{ ref('touchpoints') }}
    {%- if connect360.journey_is_incremental() %}
        -- A changed customer's touchpoints, and every event of their sessions (whose first
        -- event may be somebody else's).
        where
            customer_id in ({{ connect360.changed_journey_customers() }})
            or session_id in ({{ connect360.changed_customers_sessions() }})
    {%- endif %}
),

sessions as (
    select * from {{ ref('sessions') }}
    {%- if connect360.journey_is_incremental() %}
        where customer_id in ({{ connect360.changed_journey_customers() }})
    {%- endif %}
),

web_events as (
    select * from {{ ref('stg_web__events') }}
),

app_events as (
    select * from {{ ref('stg_mobile_app__events') }}
),

channel_map as (
    select * from {{ ref('attribution_channel_map') }}
),

session_entries as (
    select
        session_id,
        source_stream,
        source_record_key
    from touchpoints
    where session_id is not null
    qualify row_number() over (partition by session_id order by occurred_at, touchpoint_id) = 1
),

entry_sources as (
    select
        'web__events' as source_stream,
        event_id,
        lower(campaign_medium) as campaign_medium,
        {{ connect360.url_host('referrer_url') }} as referrer_host,
        {{ connect360.url_host('page_url') }} as page_host
    from web_events
    union all
    select
        'mobile_app__events' as source_stream,
        event_id,
        lower(campaign_medium) as campaign_medium,
        cast(null as {{ dbt.type_string() }}) as referrer_host,
        cast(null as {{ dbt.type_string() }}) as page_host
    from app_events
),

session_touches as (
    select
        sessions.customer_id,
        sessions.session_id as touch_id,
        sessions.session_id as touch_key,
        sessions.channel as touch_channel,
        'session' as touch_type,
        sessions.started_at as touched_at,
        sessions.campaign,
        case
            when entry_sources.campaign_medium is not null or sessions.campaign is not null
                then 'session_medium'
            when entry_sources.referrer_host <> coalesce(entry_sources.page_host, '')
                then 'session_referrer'
            else 'session_direct'
        end as touch_source,
        case
            when entry_sources.campaign_medium is not null then entry_sources.campaign_medium
            when sessions.campaign is not null then '(not set)'
            when entry_sources.referrer_host <> coalesce(entry_sources.page_host, '')
                then entry_sources.referrer_host
            else '*'
        end as match_value
    from sessions
    inner join session_entries on sessions.session_id = session_entries.session_id
    left join entry_sources
        on
            session_entries.source_stream = entry_sources.source_stream
            and session_entries.source_record_key = entry_sources.event_id
    where sessions.customer_id is not null
),

event_touches as (
    select
        customer_id,
        touchpoint_id as touch_id,
        coalesce(reference_id, touchpoint_id) as touch_key,
        channel as touch_channel,
        touchpoint_type as touch_type,
        occurred_at as touched_at,
        campaign,
        'touchpoint_type' as touch_source,
        touchpoint_type as match_value
    from touchpoints
    where session_id is null
),

candidate_touches as (
    select
        customer_id,
        touch_id,
        touch_key,
        touch_channel,
        touch_type,
        touched_at,
        campaign,
        touch_source,
        match_value
    from session_touches
    union all
    select
        customer_id,
        touch_id,
        touch_key,
        touch_channel,
        touch_type,
        touched_at,
        campaign,
        touch_source,
        match_value
    from event_touches
),

mapped_touches as (
    select
        candidate_touches.customer_id,
        candidate_touches.touch_id,
        candidate_touches.touch_key,
        candidate_touches.touch_channel,
        candidate_touches.touch_type,
        candidate_touches.touched_at,
        candidate_touches.campaign,
        -- A row for the value itself wins over the channel's '*' row, even when it names no
        -- attribution channel (which leaves the touch out).
        case
            when exact_rules.touch_source is not null then exact_rules.attribution_channel
            else fallback_rules.attribution_channel
        end as attribution_channel
    from candidate_touches
    left join channel_map as exact_rules
        on
            candidate_touches.touch_source = exact_rules.touch_source
            and candidate_touches.touch_channel = exact_rules.touch_channel
            and candidate_touches.match_value = exact_rules.match_value
    left join channel_map as fallback_rules
        on
            candidate_touches.touch_source = fallback_rules.touch_source
            and candidate_touches.touch_channel = fallback_rules.touch_channel
            and fallback_rules.match_value = '*'
),

touches as (
    select *
    from mapped_touches
    where attribution_channel is not null
    qualify row_number() over (
        partition by customer_id, touch_key order by touched_at, touch_id
    ) = 1
),

conversion_records as (
    select
        customer_id,
        touchpoint_id as conversion_id,
        occurred_at as converted_at
    from touchpoints
    where
        (channel = 'orders' and reference_id like 'order:%')
        or touchpoint_type = 'store_purchase'
    qualify row_number() over (
        partition by reference_id order by occurred_at, touchpoint_id
    ) = 1
),

conversions as (
    select
        customer_id,
        conversion_id,
        converted_at,
        row_number() over (
            partition by customer_id order by converted_at, conversion_id
        ) as conversion_number
    from conversion_records
),

-- Touches and conversions on one line per customer; at the same instant the touch comes first.
timeline as (
    select
        customer_id,
        touched_at as occurred_at,
        0 as event_rank,
        touch_id as event_id,
        cast(null as bigint) as conversion_number,
        touch_id,
        touch_channel,
        touch_type,
        campaign,
        attribution_channel
    from touches
    union all
    select
        customer_id,
        converted_at as occurred_at,
        1 as event_rank,
        conversion_id as event_id,
        conversion_number,
        cast(null as {{ dbt.type_string() }}) as touch_id,
        cast(null as {{ dbt.type_string() }}) as touch_channel,
        cast(null as {{ dbt.type_string() }}) as touch_type,
        cast(null as {{ dbt.type_string() }}) as campaign,
        cast(null as {{ dbt.type_string() }}) as attribution_channel
    from conversions
),

next_conversions as (
    select
        *,
        min(conversion_number) over (
            partition by customer_id
            order by occurred_at, event_rank, event_id
            rows between current row and unbounded following
        ) as next_conversion_number
    from timeline
),

assigned_touches as (
    select
        next_conversions.customer_id,
        next_conversions.touch_id,
        next_conversions.touch_channel,
        next_conversions.touch_type,
        next_conversions.campaign,
        next_conversions.attribution_channel,
        next_conversions.occurred_at as touched_at,
        next_conversions.next_conversion_number,
        conversions.conversion_id,
        conversions.converted_at,
        coalesce(
            {{ connect360.epoch_seconds('conversions.converted_at') }}
            - {{ connect360.epoch_seconds('next_conversions.occurred_at') }}
            <= {{ lookback_seconds }},
            false
        ) as is_converted
    from next_conversions
    left join conversions
        on
            next_conversions.customer_id = conversions.customer_id
            and next_conversions.next_conversion_number = conversions.conversion_number
    where next_conversions.event_rank = 0
),

open_touches as (
    select
        *,
        cast(floor(
            (
                {{ connect360.epoch_seconds('touched_at') }}
                - min({{ connect360.epoch_seconds('touched_at') }}) over (
                    partition by customer_id, next_conversion_number
                )
            ) / {{ lookback_seconds }}
        ) as bigint) as window_number
    from assigned_touches
    where not is_converted
),

touched_conversions as (
    select distinct conversion_id
    from assigned_touches
    where is_converted
),

path_steps as (
    select
        conversion_id as path_id,
        customer_id,
        true as is_converted,
        conversion_id,
        converted_at,
        touch_id,
        touch_channel,
        touch_type,
        campaign,
        attribution_channel,
        touched_at
    from assigned_touches
    where is_converted
    union all
    select
        'open:' || customer_id || ':'
        || coalesce(cast(next_conversion_number as {{ dbt.type_string() }}), 'last') || ':'
        || cast(window_number as {{ dbt.type_string() }}) as path_id,
        customer_id,
        false as is_converted,
        cast(null as {{ dbt.type_string() }}) as conversion_id,
        -- Always NULL here, typed as the engine types instants.
        case when is_converted then converted_at end as converted_at,
        touch_id,
        touch_channel,
        touch_type,
        campaign,
        attribution_channel,
        touched_at
    from open_touches
    union all
    select
        conversions.conversion_id as path_id,
        conversions.customer_id,
        true as is_converted,
        conversions.conversion_id,
        conversions.converted_at,
        cast(null as {{ dbt.type_string() }}) as touch_id,
        cast(null as {{ dbt.type_string() }}) as touch_channel,
        'none' as touch_type,
        cast(null as {{ dbt.type_string() }}) as campaign,
        'direct / none' as attribution_channel,
        conversions.converted_at as touched_at
    from conversions
    left join touched_conversions
        on conversions.conversion_id = touched_conversions.conversion_id
    where touched_conversions.conversion_id is null
),

final as (
    select
        path_id,
        cast(
            row_number() over (partition by path_id order by touched_at, touch_id) as bigint
        ) as step_number,
        count(*) over (partition by path_id) as steps,
        customer_id,
        is_converted,
        conversion_id,
        converted_at,
        touch_id,
        touch_channel,
        touch_type,
        attribution_channel,
        campaign,
        touched_at
    from path_steps
    {%- if connect360.journey_is_incremental() %}
        where customer_id in ({{ connect360.changed_journey_customers() }})
    {%- endif %}
)

select * from final
