{#-
    Every conversion's touches with the credit each attribution model gives them: one row per
    conversion and touch of its path (attribution_paths), a conversion without touches having
    one row on 'direct / none'. Under every model the credits of a conversion add up to 1, and
    its revenue credits to its revenue.

      first touch      all to the first touch
      last touch       all to the last touch
      linear           equal shares
      position based   `attribution_position_endpoint_share` (0.4) to the first and to the last
                       touch, the rest shared equally by the touches between; one touch takes
                       all, two take half each
      time decay       shares in proportion to 2^(-age / half-life): the age is the time from the
                       touch to the conversion, the half-life `attribution_half_life_days` (7)

    Revenue is the order's total price (its first recorded version) or the sum of the receipt's
    lines (paid price times quantity), in the conversion's currency.
-#}
{%- set half_life_seconds =
    connect360.attribution_setting('attribution_half_life_days') * 86400 -%}
{%- set endpoint = connect360.attribution_setting('attribution_position_endpoint_share') -%}
{#- Shares are doubles on both engines: a bare 0.4 would be a decimal. -#}
{%- set one = 'cast(1 as double)' -%}
{%- set zero = 'cast(0 as double)' -%}
{%- set half = 'cast(0.5 as double)' -%}
{%- set endpoint_share = 'cast(' ~ endpoint ~ ' as double)' -%}
{%- set middle_share = 'cast(' ~ ((1 - 2 * endpoint) | round(12)) ~ ' as double)' -%}

with

attribution_paths as (
    select * from {{ ref('attribution_paths') }}
),

touchpoints as (
    select * from {{ ref('touchpoints') }}
),

orders as (
    select * from {{ ref('stg_orders__orders') }}
),

receipt_lines as (
    select * from {{ ref('stg_pos__receipts') }}
),

path_steps as (
    select *
    from attribution_paths
    where is_converted
),

converted_paths as (
    select conversion_id
    from path_steps
    where step_number = 1
),

receipts as (
    select
        receipt_id,
        cast(sum(paid_price * quantity) as decimal(18, 2)) as revenue,
        max(currency) as currency
    from receipt_lines
    group by receipt_id
),

conversions as (
    select
        touchpoints.touchpoint_id as conversion_id,
        touchpoints.channel as conversion_channel,
        touchpoints.reference_id as conversion_reference,
        coalesce(orders.total_price, receipts.revenue) as revenue,
        coalesce(orders.currency, receipts.currency) as currency
    from converted_paths
    inner join touchpoints on converted_paths.conversion_id = touchpoints.touchpoint_id
    left join orders
        on
            touchpoints.source_stream = 'orders__orders'
            and touchpoints.source_record_key = orders.record_key
    left join receipts on touchpoints.reference_id = 'receipt:' || receipts.receipt_id
),

aged_steps as (
    select
        path_steps.conversion_id,
        path_steps.customer_id,
        conversions.conversion_channel,
        conversions.conversion_reference,
        path_steps.converted_at,
        conversions.revenue,
        conversions.currency,
        path_steps.steps,
        path_steps.step_number,
        path_steps.touch_id,
        path_steps.touch_channel,
        path_steps.touch_type,
        path_steps.attribution_channel,
        path_steps.campaign,
        path_steps.touched_at,
        {{ connect360.epoch_seconds('path_steps.converted_at') }}
        - {{ connect360.epoch_seconds('path_steps.touched_at') }} as seconds_before_conversion
    from path_steps
    inner join conversions on path_steps.conversion_id = conversions.conversion_id
),

credited_steps as (
    select
        *,
        case when step_number = 1 then {{ one }} else {{ zero }} end as first_touch_credit,
        case when step_number = steps then {{ one }} else {{ zero }} end as last_touch_credit,
        {{ one }} / steps as linear_credit,
        case
            when steps = 1 then {{ one }}
            when steps = 2 then {{ half }}
            when step_number = 1 or step_number = steps then {{ endpoint_share }}
            else {{ middle_share }} / (steps - 2)
        end as position_based_credit,
        power({{ half }}, seconds_before_conversion / {{ half_life_seconds }}) as decay_weight
    from aged_steps
),

shared_steps as (
    select
        *,
        -- Summed in step order: floating-point addition in whatever order the rows come
        -- would differ in the last digits between a full and an incremental build.
        decay_weight / sum(decay_weight) over (
            partition by conversion_id
            order by step_number
            rows between unbounded preceding and unbounded following
        ) as time_decay_credit
    from credited_steps
),

final as (
    select
        conversion_id || ':' || cast(step_number as {{ dbt.type_string() }})
            as attribution_touchpoint_id,
        conversion_id,
        customer_id,
        conversion_channel,
        conversion_reference,
        converted_at,
        revenue,
        currency,
        steps as touches,
        step_number as touch_number,
        touch_id,
        touch_channel,
        touch_type,
        attribution_channel,
        campaign,
        touched_at,
        seconds_before_conversion,
        first_touch_credit,
        last_touch_credit,
        linear_credit,
        position_based_credit,
        time_decay_credit,
        cast(revenue * first_touch_credit as decimal(18, 6)) as first_touch_revenue,
        cast(revenue * last_touch_credit as decimal(18, 6)) as last_touch_revenue,
        cast(revenue * linear_credit as decimal(18, 6)) as linear_revenue,
        cast(revenue * position_based_credit as decimal(18, 6)) as position_based_revenue,
        cast(revenue * time_decay_credit as decimal(18, 6)) as time_decay_revenue
    from shared_steps
)

select * from final
