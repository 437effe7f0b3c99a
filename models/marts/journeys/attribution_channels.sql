{#-
    Conversions and revenue per attribution channel, as each attribution model credits them:
    the rule-based models summed from attribution_touchpoints, and a data-driven model, the
    removal effect of a first-order Markov chain over attribution_transitions.

    Markov chain. States: '(start)', the attribution channels, and two absorbing states,
    '(conversion)' and '(null)'. The probability of a move is its share of the observed moves
    out of its state, moves from a channel to itself left out (they change no absorption
    probability, only slow the walk down). The chain's conversion probability is the chance a
    walk from '(start)' ends in '(conversion)'. Removing a channel sends every move into it to
    '(null)'; its removal effect is 1 - (conversion probability without it) / (with it). The
    channel's share of conversions is its removal effect over the sum of all channels' removal
    effects; its Markov conversions and revenue are that share of all conversions and revenue.

    The full chain and every chain with one channel removed are walked together: a probability
    vector per chain, starting all in '(start)', moved `attribution_markov_steps` (64) times
    along the moves (power iteration), each step a join and a sum, unrolled by Jinja into the
    same SQL on DuckDB and Spark. One CTE per step: Spark inlines a CTE at every reference, so
    repeated squaring of the matrix would grow exponentially, and its analyzer gives up on
    chains of some 85 nested CTEs, so keep the steps at 78 or fewer there. Absorbed mass stays
    where it is, so after n steps '(conversion)' holds the chance of converting within n moves;
    the mass still among the channels shrinks each step by the spectral radius of the
    channel-to-channel part of the chain (0.38 on the simulated data: under 1e-16 is left
    after 64 steps). `markov_unabsorbed_probability` reports what is left, and a test holds it
    under `attribution_markov_tolerance` (1e-6).

    Rule-based conversions are rounded to 1e-6, removal effects and probabilities to 1e-9,
    revenue to the cent: channel sums may differ from the totals by that much.
-#}
{%- set steps = connect360.attribution_setting('attribution_markov_steps') -%}

with

attribution_touchpoints as (
    select * from {{ ref('attribution_touchpoints') }}
),

attribution_transitions as (
    select * from {{ ref('attribution_transitions') }}
),

rule_based as (
    select
        attribution_channel,
        count(*) as touches,
        count(distinct conversion_id) as conversions_touched,
        sum(first_touch_credit) as first_touch_conversions,
        sum(last_touch_credit) as last_touch_conversions,
        sum(linear_credit) as linear_conversions,
        sum(position_based_credit) as position_based_conversions,
        sum(time_decay_credit) as time_decay_conversions,
        sum(first_touch_revenue) as first_touch_revenue,
        sum(last_touch_revenue) as last_touch_revenue,
        sum(linear_revenue) as linear_revenue,
        sum(position_based_revenue) as position_based_revenue,
        sum(time_decay_revenue) as time_decay_revenue
    from attribution_touchpoints
    group by attribution_channel
),

conversion_totals as (
    select
        count(*) as conversions,
        sum(revenue) as revenue
    from attribution_touchpoints
    where touch_number = 1
),

chain as (
    select
        from_state,
        to_state,
        cast(transitions as double)
        / sum(transitions) over (partition by from_state) as probability
    from attribution_transitions
    where from_state <> to_state
),

channels as (
    select distinct from_state as attribution_channel
    from chain
    where from_state <> '(start)'
),

-- The chain the walk takes: the observed moves, and absorbed mass staying where it is.
walk as (
    select
        from_state,
        to_state,
        probability
    from chain
    union all
    select
        '(conversion)' as from_state,
        '(conversion)' as to_state,
        cast(1 as double) as probability
    union all
    select
        '(null)' as from_state,
        '(null)' as to_state,
        cast(1 as double) as probability
),

-- The full chain ('(none)' removed) and the chain without each channel, walked together
-- from '(start)'; a move into the removed channel goes to '(null)' instead.
step_0 as (
    select
        '(none)' as removed_channel,
        '(start)' as state,
        cast(1 as double) as probability
    union all
    select
        attribution_channel as removed_channel,
        '(start)' as state,
        cast(1 as double) as probability
    from channels
),
{% for step in range(1, steps + 1) %}
    step_{{ step }} as (
        select
            step_{{ step - 1 }}.removed_channel,
            case
                when walk.to_state = step_{{ step - 1 }}.removed_channel then '(null)'
                else walk.to_state
            end as state,
            sum(step_{{ step - 1 }}.probability * walk.probability) as probability
        from step_{{ step - 1 }}
        inner join walk on step_{{ step - 1 }}.state = walk.from_state
        group by
            step_{{ step - 1 }}.removed_channel,
            case
                when walk.to_state = step_{{ step - 1 }}.removed_channel then '(null)'
                else walk.to_state
            end
    ),
{% endfor %}
absorbed as (
    select
        removed_channel,
        sum(case when state = '(conversion)' then probability else 0 end)
            as conversion_probability,
        -- Floating-point sums can leave a probability a hair below zero: it is zero.
        greatest(
            0.0,
            1 - sum(case when state in ('(conversion)', '(null)') then probability else 0 end)
        ) as unabsorbed_probability
    from step_{{ steps }}
    group by removed_channel
),

removal_effects as (
    select
        removed_channel as attribution_channel,
        conversion_probability,
        greatest(
            unabsorbed_probability,
            max(
                case when removed_channel = '(none)' then unabsorbed_probability end
            ) over ()
        ) as unabsorbed_probability,
        1 - conversion_probability / nullif(
            max(case when removed_channel = '(none)' then conversion_probability end) over (),
            0
        ) as removal_effect
    from absorbed
),

markov as (
    select
        attribution_channel,
        conversion_probability,
        unabsorbed_probability,
        removal_effect,
        removal_effect / nullif(sum(removal_effect) over (), 0) as markov_share
    from removal_effects
    where attribution_channel <> '(none)'
),

final as (
    select
        coalesce(rule_based.attribution_channel, markov.attribution_channel)
            as attribution_channel,
        coalesce(rule_based.touches, 0) as touches,
        coalesce(rule_based.conversions_touched, 0) as conversions_touched,
        round(coalesce(rule_based.first_touch_conversions, 0), 6) as first_touch_conversions,
        round(coalesce(rule_based.last_touch_conversions, 0), 6) as last_touch_conversions,
        round(coalesce(rule_based.linear_conversions, 0), 6) as linear_conversions,
        round(coalesce(rule_based.position_based_conversions, 0), 6) as position_based_conversions,
        round(coalesce(rule_based.time_decay_conversions, 0), 6) as time_decay_conversions,
        round(coalesce(markov.markov_share, 0) * conversion_totals.conversions, 6)
            as markov_conversions,
        cast(coalesce(rule_based.first_touch_revenue, 0) as decimal(18, 2)) as first_touch_revenue,
        cast(coalesce(rule_based.last_touch_revenue, 0) as decimal(18, 2)) as last_touch_revenue,
        cast(coalesce(rule_based.linear_revenue, 0) as decimal(18, 2)) as linear_revenue,
        cast(coalesce(rule_based.position_based_revenue, 0) as decimal(18, 2))
            as position_based_revenue,
        cast(coalesce(rule_based.time_decay_revenue, 0) as decimal(18, 2)) as time_decay_revenue,
        cast(
            coalesce(markov.markov_share, 0) * coalesce(conversion_totals.revenue, 0)
            as decimal(18, 2)
        ) as markov_revenue,
        round(markov.removal_effect, 9) as markov_removal_effect,
        round(markov.conversion_probability, 9) as markov_conversion_probability,
        round(markov.unabsorbed_probability, 9) as markov_unabsorbed_probability
    from rule_based
    full outer join markov on rule_based.attribution_channel = markov.attribution_channel
    cross join conversion_totals
)

select * from final
