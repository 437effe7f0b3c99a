{#-
    The moves between attribution channels over every path of attribution_paths, converting or
    not: one row per pair of states with the times it was taken and its probability among the
    moves out of the first state, a first-order Markov chain. Every path starts in '(start)',
    steps through the channels of its touches in order, and ends in '(conversion)' or, when it
    did not convert, '(null)'. Consecutive touches on one channel are a move to itself, kept here
    (for path and flow charts); attribution_channels leaves them out.
-#}
with

attribution_paths as (
    select * from {{ ref('attribution_paths') }}
),

ordered_steps as (
    select
        path_id,
        step_number,
        steps,
        is_converted,
        attribution_channel,
        lag(attribution_channel) over (
            partition by path_id order by step_number
        ) as previous_channel
    from attribution_paths
),

moves as (
    select
        coalesce(previous_channel, '(start)') as from_state,
        attribution_channel as to_state
    from ordered_steps
    union all
    select
        attribution_channel as from_state,
        case when is_converted then '(conversion)' else '(null)' end as to_state
    from ordered_steps
    where step_number = steps
),

counted as (
    select
        from_state,
        to_state,
        count(*) as transitions
    from moves
    group by from_state, to_state
),

final as (
    select
        from_state,
        to_state,
        transitions,
        cast(transitions as double)
        / sum(transitions) over (partition by from_state) as transition_probability
    from counted
)

select * from final
