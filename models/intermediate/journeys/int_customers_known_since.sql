{{ config(materialized='view') }}
{#-
    Since when the CRM knew each customer: as a contact (the earliest `created_at` of their CRM
    records, or the earliest snapshot when one is older: exports can carry a `created_at` later
    than a snapshot of the same record) and as a customer (the earliest snapshot with lifecycle
    stage `customer`). The
    moment rules' `unless_known_before` reads it (`int_moment_touchpoints`).
-#}
with

crm_contacts as (
    select * from {{ ref('stg_crm__contacts') }}
),

record_customers as (
    select * from {{ ref('int_identity__record_customers') }}
),

final as (
    select
        record_customers.customer_id,
        least(min(crm_contacts.created_at), min(crm_contacts.occurred_at)) as contact_known_at,
        min(case when crm_contacts.lifecycle_stage = 'customer' then crm_contacts.occurred_at end)
            as customer_known_at
    from crm_contacts
    inner join record_customers
        on 'crm__contacts:' || crm_contacts.record_key = record_customers.record_id
    where record_customers.customer_id is not null
    group by record_customers.customer_id
)

select * from final
