{{ config(
    materialized=connect360.journey_materialization(),
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook="{{ connect360.delete_rebuilt_rows() }}",
) }}
{#-
    Every touchpoint that a moment rule recognizes, with the moment occurrence it belongs to.

    The rules are data: `journey_moment_rules` (a seed) names, per moment, the channel and
    touchpoint type that show it, optionally the outcome code and whether the contact was
    escalated, and how touchpoints group into one occurrence:
      session    one occurrence per web or app session;
      reference  one per business object (an order and its Order Completed event, a ticket and
                 all its updates, a chat, a call, a till receipt);
      customer   one per customer (onboarding, first value);
      record     each touchpoint on its own.

    Moments in one `family` share an order: `first` takes the customer's first occurrence of the
    family, `later` every other one, including a first one that is withheld (a first order is a
    purchase; later orders are renewals or expansion). `unless_known_before` withholds `first`
    when the CRM knew the person earlier: `contact` when the CRM held a record of them before it
    (not a first touch), `customer` when the CRM held them as a customer before it (not a first
    purchase). `unless_after` withholds it when the customer's first occurrence of the family it
    names came earlier: a visit after a purchase in a store is not a first touch. A touchpoint
    matching several rules takes the one with the lowest `priority`.

    A session's touchpoints belong to the session's customer (`int_sessions_stitched`), so
    anonymous events before an identify call join the moment of the person who identified.

    `contact_known_at` and `customer_known_at` are what `int_customers_known_since` said of the
    customer when their moments were last built (`int_journey_changes` compares them).
    Incremental on DuckDB: a run rebuilds the customers in `int_journey_changes`
    (macros/journey_changes.sql).
-#}
-- depends_on: {{ ref('int_journey_changes') }}
with

touchpoints as (
    select * from {{ ref('int_touchpoints_attributed') }}
),

session_events as (
    select * from {{ ref('int_sessions_sessionized') }}
),

sessions as (
    select * from {{ ref('int_sessions_stitched') }}
),

rules as (
    select * from {{ ref('journey_moment_rules') }}
),

known_since as (
    select * from {{ ref('int_customers_known_since') }}
),

-- Each touchpoint with its session, if it is a web or app event in one.
in_sessions as (
    select
        touchpoints.record_id as touchpoint_id,
        touchpoints.customer_id,
        touchpoints.channel,
        touchpoints.touchpoint_type,
        touchpoints.occurred_at,
        touchpoints.outcome_code,
        touchpoints.is_escalated,
        touchpoints.wait_seconds,
        touchpoints.reference_id,
        session_events.session_id
    from touchpoints
    left join session_events on touchpoints.record_id = session_events.record_id
    {%- if connect360.journey_is_incremental() %}
        -- The touchpoints whose moment can belong to a changed customer: theirs, and the
        -- others' in a session of theirs.
        where
            touchpoints.customer_id in ({{ connect360.changed_journey_customers() }})
            or session_events.session_id in ({{ connect360.changed_customers_sessions() }})
    {%- endif %}
),

candidates as (
    select
        in_sessions.touchpoint_id,
        coalesce(sessions.customer_id, in_sessions.customer_id) as customer_id,
        in_sessions.channel,
        in_sessions.touchpoint_type,
        in_sessions.occurred_at,
        in_sessions.outcome_code,
        in_sessions.wait_seconds,
        in_sessions.reference_id,
        in_sessions.session_id,
        rules.moment,
        rules.occurrence,
        rules.family,
        rules.unless_known_before,
        rules.unless_after,
        rules.priority,
        rules.family || '|' || coalesce(
            case rules.grouped_by
                when 'session' then in_sessions.session_id
                when 'reference' then in_sessions.reference_id
                when 'customer' then coalesce(sessions.customer_id, in_sessions.customer_id)
            end,
            in_sessions.touchpoint_id
        ) as group_key
    from in_sessions
    inner join rules
        on
            in_sessions.channel = rules.channel
            and in_sessions.touchpoint_type = rules.touchpoint_type
            and (rules.outcome_code is null or in_sessions.outcome_code = rules.outcome_code)
            and (
                rules.when_escalated is null
                or in_sessions.is_escalated = rules.when_escalated
            )
    left join sessions on in_sessions.session_id = sessions.session_id
),

occurrence_groups as (
    select
        customer_id,
        family,
        group_key,
        min(occurred_at) as group_started_at
    from candidates
    {%- if connect360.journey_is_incremental() %}
        -- Only a changed customer's moments (the inner join below keeps theirs alone).
        where customer_id in ({{ connect360.changed_journey_customers() }})
    {%- endif %}
    group by customer_id, family, group_key
),

-- When each customer's first occurrence of each family started (`unless_after`).
family_starts as (
    select
        customer_id,
        family,
        min(group_started_at) as family_started_at
    from occurrence_groups
    group by customer_id, family
),

ranked_groups as (
    select
        occurrence_groups.customer_id,
        occurrence_groups.group_key,
        occurrence_groups.group_started_at,
        row_number() over (
            partition by occurrence_groups.customer_id, occurrence_groups.family
            order by occurrence_groups.group_started_at, occurrence_groups.group_key
        ) as family_rank,
        known_since.contact_known_at,
        known_since.customer_known_at,
        known_since.contact_known_at < occurrence_groups.group_started_at as was_contact_before,
        known_since.customer_known_at < occurrence_groups.group_started_at as was_customer_before
    from occurrence_groups
    left join known_since on occurrence_groups.customer_id = known_since.customer_id
),

qualified as (
    select
        candidates.*,
        ranked_groups.group_started_at,
        ranked_groups.contact_known_at,
        ranked_groups.customer_known_at,
        ranked_groups.family_rank = 1
        and not (
            coalesce(candidates.unless_known_before = 'contact', false)
            and coalesce(ranked_groups.was_contact_before, false)
        )
        and not (
            coalesce(candidates.unless_known_before = 'customer', false)
            and coalesce(ranked_groups.was_customer_before, false)
        )
        and not coalesce(
            family_starts.family_started_at < ranked_groups.group_started_at, false
        ) as is_first
    from candidates
    inner join ranked_groups
        on
            candidates.customer_id = ranked_groups.customer_id
            and candidates.group_key = ranked_groups.group_key
    left join family_starts
        on
            candidates.customer_id = family_starts.customer_id
            and candidates.unless_after = family_starts.family
),

final as (
    select
        md5(customer_id || '|' || moment || '|' || group_key) as moment_id,
        touchpoint_id,
        customer_id,
        moment,
        channel,
        touchpoint_type,
        occurred_at,
        outcome_code,
        wait_seconds,
        reference_id,
        session_id,
        group_started_at,
        contact_known_at,
        customer_known_at
    from qualified
    where
        occurrence = 'any'
        or (occurrence = 'first' and is_first)
        or (occurrence = 'later' and not is_first)
    qualify row_number() over (partition by touchpoint_id order by priority, moment) = 1
)

select * from final
