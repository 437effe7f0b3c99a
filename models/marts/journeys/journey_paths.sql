{#-
    The paths customers take between moments, as the edges of a Sankey diagram: from a moment
    and the channel it started on, to the customer's next moment and its channel, with how many
    times customers took that step and how many customers did. Every journey starts at
    ('start', 'start') and ends at ('end', 'end'), so the flows balance.
-#}
with

moments as (
    select * from {{ ref('journey_moments') }}
),

journey_starts as (
    select
        customer_id,
        min_by(moment, {{ connect360.epoch_seconds('started_at') }}) as to_moment,
        min_by(entry_channel, {{ connect360.epoch_seconds('started_at') }}) as to_channel
    from moments
    group by customer_id
),

edges as (
    select
        customer_id,
        'start' as from_moment,
        'start' as from_channel,
        to_moment,
        to_channel
    from journey_starts
    union all
    select
        customer_id,
        moment as from_moment,
        entry_channel as from_channel,
        coalesce(next_moment, 'end') as to_moment,
        coalesce(next_entry_channel, 'end') as to_channel
    from moments
),

final as (
    select
        from_moment,
        from_channel,
        to_moment,
        to_channel,
        count(*) as transitions,
        count(distinct customer_id) as customers
    from edges
    group by from_moment, from_channel, to_moment, to_channel
)

select * from final
