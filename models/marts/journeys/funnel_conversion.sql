{#-
    Each funnel step: how many customers reached it, the conversion from the funnel's start and
    from the step before, and the time the step took (average and median hours from the step
    before). See `int_funnel_progress` for how customers move through a funnel.
-#}
with

progress as (
    select * from {{ ref('int_funnel_progress') }}
),

funnels as (
    select * from {{ ref('journey_funnels') }}
),

steps as (
    select
        funnels.funnel,
        funnels.step_number,
        funnels.moment,
        count(progress.customer_id) as customers_reached,
        avg(progress.seconds_from_previous_step) / 3600.0 as avg_hours_from_previous_step,
        median(progress.seconds_from_previous_step) / 3600.0 as median_hours_from_previous_step
    from funnels
    left join progress
        on funnels.funnel = progress.funnel and funnels.step_number = progress.step_number
    group by funnels.funnel, funnels.step_number, funnels.moment
),

final as (
    select
        funnel,
        step_number,
        moment,
        customers_reached,
        cast(customers_reached as double)
        / nullif(first_value(customers_reached) over funnel_steps, 0)
            as conversion_from_start,
        cast(customers_reached as double)
        / nullif(lag(customers_reached) over funnel_steps, 0)
            as conversion_from_previous_step,
        avg_hours_from_previous_step,
        median_hours_from_previous_step
    from steps
    window funnel_steps as (partition by funnel order by step_number)
)

select * from final
