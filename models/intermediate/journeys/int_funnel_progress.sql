{#-
    How far each customer got through each funnel of `journey_funnels` (a seed: funnel, ordered
    steps, each a moment, and a conversion window in days): one row per customer, funnel and step
    reached.

    A customer enters a funnel at their first occurrence of its first step. Each later step is
    reached at the first occurrence of its moment that starts no earlier than the step before
    was reached and within the conversion window counted from the entry. Steps are ordered: a
    purchase before any research does not count as the research-to-purchase step. Funnels have
    at most `funnel_max_steps` (8) steps.
-#}
{%- set max_steps = var('funnel_max_steps', 8) -%}

with

moments as (
    select * from {{ ref('journey_moments') }}
),

funnels as (
    select * from {{ ref('journey_funnels') }}
),

step_1 as (
    select
        funnels.funnel,
        moments.customer_id,
        min(moments.started_at) as entered_at,
        min(moments.started_at) as reached_at,
        min_by(moments.entry_channel, {{ connect360.epoch_seconds('moments.started_at') }})
            as channel
    from moments
    inner join funnels on moments.moment = funnels.moment and funnels.step_number = 1
    group by funnels.funnel, moments.customer_id
),
{%- for step in range(2, max_steps + 1) %}

    step_{{ step }} as (
        select
            previous.funnel,
            previous.customer_id,
            previous.entered_at,
            min(moments.started_at) as reached_at,
            min_by(moments.entry_channel, {{ connect360.epoch_seconds('moments.started_at') }})
                as channel
        from step_{{ step - 1 }} as previous
        inner join funnels
            on previous.funnel = funnels.funnel and funnels.step_number = {{ step }}
        inner join moments
            on
                previous.customer_id = moments.customer_id
                and funnels.moment = moments.moment
                and previous.reached_at <= moments.started_at
                and {{ connect360.epoch_seconds('previous.entered_at') }}
                + funnels.conversion_window_days * 86400
                >= {{ connect360.epoch_seconds('moments.started_at') }}
        group by previous.funnel, previous.customer_id, previous.entered_at
    ),
{%- endfor %}

reached as (
    {%- for step in range(1, max_steps + 1) %}
        select
            funnel,
            customer_id,
            {{ step }} as step_number,
            entered_at,
            reached_at,
            channel
        from step_{{ step }}
        {{ 'union all' if not loop.last }}
    {%- endfor %}
),

final as (
    select
        reached.funnel,
        reached.customer_id,
        reached.step_number,
        funnels.moment,
        reached.entered_at,
        reached.reached_at,
        reached.channel,
        {{ connect360.epoch_seconds('reached.reached_at') }}
        - {{ connect360.epoch_seconds(
            'lag(reached.reached_at) over (partition by reached.funnel, reached.customer_id '
            ~ 'order by reached.step_number)'
        ) }} as seconds_from_previous_step
    from reached
    inner join funnels
        on reached.funnel = funnels.funnel and reached.step_number = funnels.step_number
)

select * from final
