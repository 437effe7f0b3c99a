{#-
    What the incremental journey models rebuild this run (macros/journey_changes.sql): one row
    per changed customer (`customer_id`), and one per session subject — a browser's or app
    install's anonymous id — whose sessions are cut again (`channel`, `session_subject`).

    It compares the current inputs with what the layer last applied:
      - a touchpoint that is new, withdrawn, changed in any field, or moved to or from a customer
        (a late identify, a merge, a split, an erasure, a new home time zone) changes its
        customer before and after, and its session subject before and after;
      - a customer whose CRM history changed (`int_customers_known_since` against what their
        moment touchpoints were built with) or one of whose purchases gained or lost a price
        difference changes too;
      - every customer with an event on a changed session subject changes with it, since their
        sessions may be cut differently.

    The last applied touchpoints are `int_touchpoints_applied`, written when the whole layer has
    run, so a run that stopped half-way is simply repeated. Empty on a full refresh, on a first
    run and on Spark, where the models rebuild everything.
-#}
-- depends_on: {{ ref('int_touchpoints_attributed') }}
-- depends_on: {{ ref('int_customers_known_since') }}
-- depends_on: {{ ref('int_purchases_price_differed') }}
{% set applied = connect360.built_relation('int_touchpoints_applied') -%}
{%- set sessions_before = connect360.built_relation('int_sessions_sessionized') -%}
{%- set moment_touchpoints_before = connect360.built_relation('int_moment_touchpoints') -%}
{%- set moments_before = connect360.built_relation('journey_moments') -%}
{%- set compared = connect360.journey_changes_are_compared()
    and applied is not none
    and sessions_before is not none
    and moment_touchpoints_before is not none
    and moments_before is not none -%}
{%- set text = dbt.type_string() -%}
{%- set touchpoint_columns = [
    'customer_id', 'source_stream', 'channel', 'touchpoint_type', 'direction', 'occurred_at',
    'local_time_zone', 'campaign', 'message', 'outcome_code', 'is_escalated', 'wait_seconds',
    'reference_id', 'session_subject',
] -%}

{%- if compared %}

    with

    touchpoints as (
        select * from {{ ref('int_touchpoints_attributed') }}
    ),

    known_since as (
        select * from {{ ref('int_customers_known_since') }}
    ),

    price_difference_purchases as (
        select * from {{ ref('int_purchases_price_differed') }}
    ),

    changed_touchpoints as (
        select
            touchpoints.customer_id,
            touchpoints.channel,
            touchpoints.session_subject,
            applied.customer_id as previous_customer_id,
            applied.channel as previous_channel,
            applied.session_subject as previous_session_subject
        from touchpoints
        full outer join {{ applied }} as applied on touchpoints.record_id = applied.record_id
        where
            touchpoints.record_id is null
            or applied.record_id is null
            or {{ connect360.columns_differ(touchpoint_columns, 'touchpoints', 'applied') }}
    ),

    changed_subjects as (
        select
            channel,
            session_subject
        from changed_touchpoints
        where session_subject is not null
        union
        select
            previous_channel,
            previous_session_subject
        from changed_touchpoints
        where previous_session_subject is not null
    ),

    known_since_before as (
        select distinct
            customer_id,
            contact_known_at,
            customer_known_at
        from {{ moment_touchpoints_before }}
    ),

    purchases_before as (
        select
            moment_touchpoints.customer_id,
            moment_touchpoints.moment_id,
            min(moment_touchpoints.reference_id) as purchase_reference
        from {{ moment_touchpoints_before }} as moment_touchpoints
        where
            moment_touchpoints.reference_id like 'order:%'
            or moment_touchpoints.reference_id like 'receipt:%'
        group by moment_touchpoints.customer_id, moment_touchpoints.moment_id
    ),

    changed_customers as (
        select customer_id from changed_touchpoints
        union
        select previous_customer_id from changed_touchpoints
        union
        select known_since_before.customer_id
        from known_since_before
        left join known_since on known_since_before.customer_id = known_since.customer_id
        where
            {{ connect360.columns_differ(
                ['contact_known_at', 'customer_known_at'], 'known_since_before', 'known_since'
            ) }}
        union
        select purchases_before.customer_id
        from purchases_before
        inner join {{ moments_before }} as moments
            on purchases_before.moment_id = moments.moment_id
        left join price_difference_purchases
            on purchases_before.purchase_reference = price_difference_purchases.purchase_reference
        where
            moments.has_price_difference
            <> (price_difference_purchases.purchase_reference is not null)
        union
        select touchpoints.customer_id
        from touchpoints
        inner join changed_subjects
            on
                touchpoints.channel = changed_subjects.channel
                and touchpoints.session_subject = changed_subjects.session_subject
        union
        select sessions_before.customer_id
        from {{ sessions_before }} as sessions_before
        inner join changed_subjects
            on
                sessions_before.channel = changed_subjects.channel
                and sessions_before.session_subject = changed_subjects.session_subject
    ),

    final as (
        select
            customer_id,
            cast(null as {{ text }}) as channel,
            cast(null as {{ text }}) as session_subject
        from changed_customers
        where customer_id is not null
        union all
        select
            cast(null as {{ text }}) as customer_id,
            channel,
            session_subject
        from changed_subjects
        where channel in ('web', 'mobile_app')
    )

    select * from final

{%- else %}

    with nothing as (
        select cast(null as {{ text }}) as no_value
    )

    select
        no_value as customer_id,
        no_value as channel,
        no_value as session_subject
    from nothing
    where no_value is not null

{%- endif %}
