{#-
    Where customers leave each funnel, by segment (persona) and by the channel of the step they
    reached last: per funnel step, the customers who reached it, those who went on to the next
    step within the window, and those who dropped off there. The last step has no drop-off.
-#}
with

progress as (
    select * from {{ ref('int_funnel_progress') }}
),

customers as (
    select * from {{ ref('customers') }}
),

funnels as (
    select * from {{ ref('journey_funnels') }}
),

last_steps as (
    select
        funnel,
        max(step_number) as last_step
    from funnels
    group by funnel
),

continued as (
    select
        progress.*,
        lead(progress.step_number) over (
            partition by progress.funnel, progress.customer_id order by progress.step_number
        ) is not null as went_on
    from progress
),

final as (
    select
        continued.funnel,
        continued.step_number,
        continued.moment,
        coalesce(customers.segment, 'unknown') as segment,
        coalesce(continued.channel, 'unknown') as channel,
        count(*) as customers_reached,
        cast(sum(case when continued.went_on then 1 else 0 end) as bigint) as customers_continued,
        cast(sum(case when continued.went_on then 0 else 1 end) as bigint)
            as customers_dropped_off
    from continued
    inner join last_steps on continued.funnel = last_steps.funnel
    left join customers on continued.customer_id = customers.customer_id
    where continued.step_number < last_steps.last_step
    group by
        continued.funnel,
        continued.step_number,
        continued.moment,
        coalesce(customers.segment, 'unknown'),
        coalesce(continued.channel, 'unknown')
)

select * from final
