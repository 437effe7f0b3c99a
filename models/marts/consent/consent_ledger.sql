{#-
    Every consent event of every known customer, as intervals: from each event until the next
    event of the same customer for the same purpose. The state in force at a moment is the row
    whose interval holds it; an opt-out ends an opt-in. Events whose subject the identity graph
    could not attribute, and events of erased customers, are not here.
-#}
with

consent_events as (
    select * from {{ ref('stg_consent__events') }}
),

record_customers as (
    select * from {{ ref('int_identity__record_customers') }}
),

attributed as (
    select
        record_customers.customer_id,
        consent_events.consent_event_id,
        consent_events.purpose,
        consent_events.action,
        consent_events.subject_type,
        consent_events.source as consent_source,
        consent_events.occurred_at
    from consent_events
    inner join record_customers
        on concat('consent__events:', consent_events.consent_event_id) = record_customers.record_id
    where record_customers.customer_id is not null
),

final as (
    select
        customer_id,
        purpose,
        consent_event_id,
        action,
        action = 'opt_in' as grants_consent,
        subject_type,
        consent_source,
        occurred_at as valid_from,
        lead(occurred_at) over (
            partition by customer_id, purpose
            order by occurred_at, consent_event_id
        ) as valid_to
    from attributed
)

select * from final
