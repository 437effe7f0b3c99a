{{ config(
    materialized=connect360.journey_materialization(),
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ connect360.delete_rebuilt_rows() }}",
) }}
{#-
    One row per customer per journey-moment occurrence, in the order the customer lived them:
    when it started and completed, the channels involved, how it ended against what the moment
    expects (`journey_moment_definitions` seed), friction signals, and the customer's next moment.

    Outcome codes, per moment:
      research           completed when the session went on to select a product, else abandoned;
      product_selection  completed when the session ended in an order, else abandoned;
      purchase, renewal_expansion
                         returned when the order was refunded, cancelled when it was cancelled,
                         else completed;
      onboarding         completed when the account was activated, else abandoned;
      support, escalation
                         resolved when the contact was resolved, abandoned when the caller hung
                         up in the queue, else unresolved;
      the others         completed.

    Friction signals:
      has_repeat_contact   a support or escalation contact within `repeat_contact_days` (7) after
                           another of the customer's support contacts;
      has_drop_off         the moment was abandoned;
      has_delivery_issue   a shipment of the order was delayed, misrouted, held for an exception,
                           missed a delivery attempt or went back to the sender;
      has_failed_payment   the order has a failed payment in `edge_case_register`;
      has_long_wait        the customer waited for a person at least `long_wait_minutes` (10) on
                           a call or chat, or `long_ticket_reply_hours` (24) for a ticket reply;
      has_price_difference a product of the order or till receipt was listed, on the channel and
                           the day (UTC) it was bought, at another price than on the web
                           (`int_purchases_price_differed`). The web's list price is the
                           reference, so web orders never have one.

    Incremental on DuckDB: a run rebuilds the moments of the customers in `int_journey_changes`
    (macros/journey_changes.sql).
-#}
-- depends_on: {{ ref('int_journey_changes') }}
{% set repeat_contact_seconds = var('repeat_contact_days', 7) * 86400 -%}
{%- set long_wait_seconds = var('long_wait_minutes', 10) * 60 -%}
{%- set long_ticket_reply_seconds = var('long_ticket_reply_hours', 24) * 3600 -%}

with

moment_touchpoints as (
    select * from {{ ref('int_moment_touchpoints') }}
    {%- if connect360.journey_is_incremental() %}
        where customer_id in ({{ connect360.changed_journey_customers() }})
    {%- endif %}
),

moments_seed as (
    select * from {{ ref('journey_moment_definitions') }}
),

touchpoints as (
    select * from {{ ref('touchpoints') }}
),

sessions as (
    select * from {{ ref('sessions') }}
),

orders as (
    select * from {{ ref('stg_orders__orders') }}
),

edge_cases as (
    select * from {{ ref('edge_case_register') }}
),

price_difference_purchases as (
    select * from {{ ref('int_purchases_price_differed') }}
),

occurrences as (
    select
        moment_id,
        min(customer_id) as customer_id,
        min(moment) as moment,
        min(occurred_at) as started_at,
        max(occurred_at) as completed_at,
        {{ connect360.distinct_list('channel') }} as channels,
        min_by(channel, {{ connect360.epoch_seconds('occurred_at') }}) as entry_channel,
        count(*) as touchpoints,
        min(session_id) as session_id,
        min(case when reference_id like 'order:%' then reference_id end) as order_reference,
        min(
            case
                when reference_id like 'order:%' or reference_id like 'receipt:%' then reference_id
            end
        ) as purchase_reference,
        max(case when outcome_code = 'resolved' then 1 else 0 end) = 1 as is_resolved,
        max(case when outcome_code = 'canceled' then 1 else 0 end) = 1 as is_abandoned_call,
        max(case when touchpoint_type = 'account_activated' then 1 else 0 end) = 1 as is_activated,
        max(
            case
                when channel in ('voice', 'chat') and wait_seconds >= {{ long_wait_seconds }} then 1
                when channel = 'tickets' and wait_seconds >= {{ long_ticket_reply_seconds }} then 1
                else 0
            end
        ) = 1 as has_long_wait
    from moment_touchpoints
    group by moment_id
),

selection_sessions as (
    select distinct session_id
    from occurrences
    where moment = 'product_selection'
),

order_ends as (
    select
        reference_id as order_reference,
        max(case when touchpoint_type = 'order_refunded' then 1 else 0 end) = 1 as is_refunded,
        max(case when touchpoint_type = 'order_cancelled' then 1 else 0 end) = 1 as is_cancelled
    from touchpoints
    where touchpoint_type in ('order_refunded', 'order_cancelled')
    group by reference_id
),

order_names as (
    select distinct
        'order:' || cast(order_id as {{ dbt.type_string() }}) as order_reference,
        'order_name:' || order_name as shipment_reference
    from orders
    where order_name is not null
),

delivery_issues as (
    select distinct order_names.order_reference
    from touchpoints
    inner join order_names on touchpoints.reference_id = order_names.shipment_reference
    where
        touchpoints.touchpoint_type in (
            'shipment_delayed',
            'shipment_misrouted',
            'shipment_exception',
            'shipment_failed_attempt',
            'shipment_returned_to_sender'
        )
),

failed_payments as (
    select distinct order_names.order_reference
    from edge_cases
    inner join order_names
        on 'order_name:' || edge_cases.order_name = order_names.shipment_reference
    where edge_cases.incident_type = 'failed_payment'
),

outcomes as (
    select
        occurrences.*,
        case
            when occurrences.moment = 'research'
                then case
                    when selection_sessions.session_id is not null then 'completed'
                    else 'abandoned'
                end
            when occurrences.moment = 'product_selection'
                then case when sessions.is_converted then 'completed' else 'abandoned' end
            when occurrences.moment in ('purchase', 'renewal_expansion')
                then case
                    when order_ends.is_refunded then 'returned'
                    when order_ends.is_cancelled then 'cancelled'
                    else 'completed'
                end
            when occurrences.moment = 'onboarding'
                then case when occurrences.is_activated then 'completed' else 'abandoned' end
            when occurrences.moment in ('support', 'escalation')
                then case
                    when occurrences.is_resolved then 'resolved'
                    when occurrences.is_abandoned_call then 'abandoned'
                    else 'unresolved'
                end
            else 'completed'
        end as outcome_code,
        delivery_issues.order_reference is not null as has_delivery_issue,
        failed_payments.order_reference is not null as has_failed_payment,
        price_difference_purchases.purchase_reference is not null as has_price_difference
    from occurrences
    left join selection_sessions
        on
            occurrences.moment = 'research'
            and occurrences.session_id = selection_sessions.session_id
    left join sessions on occurrences.session_id = sessions.session_id
    left join order_ends on occurrences.order_reference = order_ends.order_reference
    left join delivery_issues on occurrences.order_reference = delivery_issues.order_reference
    left join failed_payments on occurrences.order_reference = failed_payments.order_reference
    left join price_difference_purchases
        on occurrences.purchase_reference = price_difference_purchases.purchase_reference
),

sequenced as (
    select
        outcomes.*,
        lead(outcomes.moment) over customer_moments as next_moment,
        lead(outcomes.entry_channel) over customer_moments as next_entry_channel,
        lead(outcomes.moment_id) over customer_moments as next_moment_id,
        case
            when outcomes.moment in ('support', 'escalation')
                then
                    {{ connect360.epoch_seconds('outcomes.started_at') }}
                    - max(
                        case
                            when outcomes.moment in ('support', 'escalation')
                                then {{ connect360.epoch_seconds('outcomes.completed_at') }}
                        end
                    ) over (
                        partition by outcomes.customer_id
                        order by outcomes.started_at, outcomes.moment_id
                        rows between unbounded preceding and 1 preceding
                    )
        end as seconds_since_previous_contact
    from outcomes
    window customer_moments as (
        partition by outcomes.customer_id order by outcomes.started_at, outcomes.moment_id
    )
),

final as (
    select
        sequenced.moment_id,
        sequenced.customer_id,
        sequenced.moment,
        moments_seed.position as moment_position,
        sequenced.started_at,
        sequenced.completed_at,
        sequenced.channels,
        sequenced.entry_channel,
        sequenced.touchpoints,
        sequenced.outcome_code,
        moments_seed.expected_outcome,
        sequenced.outcome_code = moments_seed.expected_outcome as met_expected_outcome,
        coalesce(
            sequenced.seconds_since_previous_contact < {{ repeat_contact_seconds }}, false
        ) as has_repeat_contact,
        sequenced.outcome_code = 'abandoned' as has_drop_off,
        sequenced.has_delivery_issue,
        sequenced.has_failed_payment,
        sequenced.has_long_wait,
        sequenced.has_price_difference,
        sequenced.next_moment,
        sequenced.next_entry_channel,
        sequenced.next_moment_id
    from sequenced
    inner join moments_seed on sequenced.moment = moments_seed.moment
)

select * from final
